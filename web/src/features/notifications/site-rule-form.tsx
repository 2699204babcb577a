import { Alert, Button, Group, MultiSelect, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useSites } from '../../api/catalog-queries.js';
import { type SiteRuleRequest, type Subscription, useCreateSiteRule } from '../../api/notification-queries.js';
import { LOCAL_TIME_ZONE } from '../../components/ui/date-time.js';

const EVENTS = [
  { value: 'failure', label: 'Failed' },
  { value: 'error', label: 'Completed with errors' },
  { value: 'unknown', label: 'Timed out or lost' },
  { value: 'success', label: 'Succeeded' },
  { value: 'cancelled', label: 'Cancelled' },
  { value: 'skipped', label: 'Nothing to do' },
];

const ALL_SITES = '*';

/** A site rule: which job endings at which site to hear of, on which channel, how often. */
export function SiteRuleForm({ onCreated }: { onCreated: (created: Subscription) => void }) {
  const sites = useSites();
  const create = useCreateSiteRule();
  const [site, setSite] = useState<string>(ALL_SITES);
  const [channel, setChannel] = useState<SiteRuleRequest['channel']>('console');
  const [events, setEvents] = useState<string[]>(['failure', 'error', 'unknown']);
  const [delivery, setDelivery] = useState<SiteRuleRequest['delivery']>('immediate');
  const [url, setUrl] = useState('');

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      {
        channel,
        ...(site === ALL_SITES ? { allSites: true } : { site }),
        events,
        delivery: channel === 'console' ? 'immediate' : delivery,
        timezone: LOCAL_TIME_ZONE,
        ...(channel === 'webhook' ? { url: url.trim() } : {}),
      },
      { onSuccess: onCreated },
    );
  };

  return (
    <form onSubmit={onSubmit} aria-label="New site rule" noValidate>
      <Stack gap="sm" maw={520}>
        <Select
          label="Site"
          data={[{ value: ALL_SITES, label: 'All my sites' }, ...(sites.data ?? []).map((s) => ({ value: s.name, label: s.name }))]}
          value={site}
          onChange={(value) => setSite(value ?? ALL_SITES)}
          allowDeselect={false}
        />
        <MultiSelect label="When a job" description="Empty: every ending" data={EVENTS} value={events} onChange={setEvents} clearable />
        <Radio.Group label="Tell me" value={channel} onChange={(value) => setChannel(value as SiteRuleRequest['channel'])}>
          <Group gap="md" mt={4}>
            <Radio value="console" label="In the console" />
            <Radio value="email" label="By e-mail" />
            <Radio value="webhook" label="By webhook" />
          </Group>
        </Radio.Group>
        {channel === 'webhook' ? (
          <TextInput
            label="Webhook URL"
            placeholder="https://example.com/hooks/switchyard"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            required
          />
        ) : null}
        {channel !== 'console' ? (
          <Radio.Group
            label="How often"
            description={`Digests go at the top of the hour, or daily at 08:00, in your time zone (${LOCAL_TIME_ZONE})`}
            value={delivery}
            onChange={(value) => setDelivery(value as SiteRuleRequest['delivery'])}
          >
            <Group gap="md" mt={4}>
              <Radio value="immediate" label="At once" />
              <Radio value="hourly" label="Hourly digest" />
              <Radio value="daily" label="Daily digest" />
            </Group>
          </Radio.Group>
        ) : null}
        {create.isError ? (
          <Alert color="red" role="alert" title="The rule was not added">
            {create.error.message}
          </Alert>
        ) : null}
        {create.data?.secret ? (
          <Alert color="yellow" title="Signing secret — shown once">
            <Text size="sm" ff="monospace" data-testid="webhook-secret">
              {create.data.secret}
            </Text>
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            Add rule
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
