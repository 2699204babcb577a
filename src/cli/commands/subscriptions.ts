import type { Command } from 'commander';
import type { SubscribeInput, SubscriptionInfo, SwitchyardClient } from '../../client/client.js';
import { type ConnectionFlags, connect } from '../connection.js';
import { table } from '../format.js';
import { recordId } from '../options.js';

/**
 * `<group> subscribe ID --email [ADDR] | --webhook URL | --console [--on failure]` for jobs,
 * envelopes and schedules: `what` names the target in help and output.
 */
export function addSubscribeCommand(
  group: Command,
  what: 'job' | 'envelope' | 'schedule',
  description: string,
  subscribe: (client: SwitchyardClient, id: number, input: SubscribeInput) => Promise<SubscriptionInfo>,
): void {
  group
    .command('subscribe <id>')
    .description(description)
    .option('--email [address]', 'e-mail (to your own address when none is given)')
    .option('--webhook <url>', 'POST a signed JSON event to this URL')
    .option('--console', 'in the console inbox')
    .option('--on <when>', 'end (default) or failure', 'end')
    .action(async (id: string, options, command: Command) => {
      const chosen = [options.email !== undefined, options.webhook !== undefined, options.console === true].filter(Boolean).length;
      if (chosen !== 1) throw new Error('choose one of --email, --webhook, --console');
      if (options.on !== 'end' && options.on !== 'failure') throw new Error('--on is end or failure');
      if (!/^[1-9][0-9]{0,15}$/.test(id)) throw new Error(`${what} id: a positive whole number`);
      const channel = options.webhook ? 'webhook' : options.console ? 'console' : 'email';
      const created = await subscribe(connect(command.optsWithGlobals<ConnectionFlags>()), Number(id), {
        channel,
        on: options.on,
        ...(typeof options.email === 'string' ? { address: options.email } : {}),
        ...(options.webhook ? { url: options.webhook } : {}),
      });
      console.log(`subscription ${created.id}: ${what} ${id} on ${created.on} by ${channel}${created.address ? ` to ${created.address}` : ''}`);
      if (created.secret) console.log(`signing secret (shown once): ${created.secret}`);
    });
}

/** `jobs subscribe ID --email [ADDR] | --webhook URL | --console [--on failure]` and `subscriptions add|list|delete|log`. */
export function subscriptionsCommand(program: Command): void {
  const client = (command: Command) => connect(command.optsWithGlobals<ConnectionFlags>());
  const jobs = program.commands.find((c) => c.name() === 'jobs') ?? program.command('jobs');

  addSubscribeCommand(
    jobs,
    'job',
    "Be told when a job ends: by e-mail (your profile's address unless given), signed webhook or in the console",
    (api, id, input) => api.subscribe(id, input),
  );

  const subscriptions = program.command('subscriptions').description('Your notification subscriptions');

  subscriptions
    .command('add')
    .description('A site rule: be told of jobs ending at a site (or all your sites), at once or as an hourly or daily digest')
    .option('--site <name>', 'the site whose jobs to hear of')
    .option('--all-sites', 'every site you may see')
    .option('--email [address]', 'e-mail (to your own address when none is given)')
    .option('--webhook <url>', 'POST a signed JSON event to this URL')
    .option('--console', 'in the console inbox')
    .option('--events <states>', 'comma-separated end states: success,error,failure,skipped,cancelled,unknown (default: every end)')
    .option('--digest <cadence>', 'hourly or daily (08:00 in --timezone) instead of one message per job')
    .option('--timezone <zone>', 'the time zone of digests, e.g. Europe/Paris', 'UTC')
    .action(async (options, command: Command) => {
      const chosen = [options.email !== undefined, options.webhook !== undefined, options.console === true].filter(Boolean).length;
      if (chosen !== 1) throw new Error('choose one of --email, --webhook, --console');
      if (!options.site === !options.allSites) throw new Error('choose one of --site NAME, --all-sites');
      if (options.digest !== undefined && options.digest !== 'hourly' && options.digest !== 'daily') throw new Error('--digest is hourly or daily');
      const channel = options.webhook ? 'webhook' : options.console ? 'console' : 'email';
      const events = options.events
        ? String(options.events)
            .split(',')
            .map((e: string) => e.trim())
            .filter(Boolean)
        : [];
      const created = await client(command).subscribeSite({
        channel,
        ...(options.site ? { site: options.site } : { allSites: true }),
        events,
        delivery: options.digest ?? 'immediate',
        timezone: options.timezone,
        ...(typeof options.email === 'string' ? { address: options.email } : {}),
        ...(options.webhook ? { url: options.webhook } : {}),
      });
      const target = created.allSites ? 'all your sites' : `site ${created.site}`;
      const cadence = created.delivery === 'immediate' ? 'at once' : `as a ${created.delivery} digest (${created.timezone})`;
      console.log(`subscription ${created.id}: jobs ending at ${target} by ${channel}${created.address ? ` to ${created.address}` : ''}, ${cadence}`);
      if (created.secret) console.log(`signing secret (shown once): ${created.secret}`);
    });

  subscriptions
    .command('list')
    .description('Your subscriptions and site rules')
    .option('--json', 'print JSON')
    .action(async (options, command: Command) => {
      const { items } = await client(command).listSubscriptions();
      if (options.json) return console.log(JSON.stringify(items, null, 2));
      if (items.length === 0) return console.log('no subscriptions');
      console.log(
        table(
          items.map((s) => ({
            id: s.id,
            target: targetOf(s),
            channel: s.channel,
            to: s.address ?? s.url ?? '',
            when: isSiteRule(s) ? s.events.join(',') || 'any end' : s.on,
            delivery: s.delivery === 'immediate' ? 'at once' : `${s.delivery} (${s.timezone})`,
          })),
          ['id', 'target', 'channel', 'to', 'when', 'delivery'],
        ),
      );
    });

  subscriptions
    .command('delete <ids...>')
    .description('Remove subscriptions')
    .action(async (ids: string[], _options, command: Command) => {
      for (const id of ids) {
        await client(command).deleteSubscription(recordId(id, 'subscription'));
        console.log(`subscription ${id} deleted`);
      }
    });

  subscriptions
    .command('log <id>')
    .description("A subscription's deliveries: status, attempts, last error")
    .action(async (id: string, _options, command: Command) => {
      const { items } = await client(command).deliveries(recordId(id, 'subscription'));
      if (items.length === 0) return console.log('no deliveries');
      console.log(
        table(
          items.map((d) => ({ id: d.id, job: d.jobId ?? '', status: d.status, attempts: d.attempts, 'last error': d.lastError ?? '' })),
          ['id', 'job', 'status', 'attempts', 'last error'],
        ),
      );
    });
}

const isSiteRule = (s: SubscriptionInfo) => s.jobId === null && s.envelopeId === null && s.scheduleId === null;

function targetOf(s: SubscriptionInfo): string {
  if (s.jobId !== null) return `job ${s.jobId}`;
  if (s.envelopeId !== null) return `envelope ${s.envelopeId}`;
  if (s.scheduleId !== null) return `schedule ${s.scheduleId}`;
  return s.allSites ? 'all sites' : `site ${s.site}`;
}
