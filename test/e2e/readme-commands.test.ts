import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, type LongRunning, startCli } from '../helpers/cli-process.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** A fenced shell block of the README: where it is, under which heading, and why it is not run (if it is not). */
interface ShellBlock {
  line: number;
  heading: string;
  commands: string[];
  skip: string | null;
}

const SKIP_MARK = /^<!--\s*readme-test:\s*skip:\s*(.+?)\s*-->$/;

/** The README's ```sh / ```bash blocks, in order; a block is run unless the line before its fence is a skip mark with a reason. */
function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '');
    const fence = line.match(/^```(\w*)\s*$/);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    if (['sh', 'bash', 'shell'].includes(fence[1])) {
      let before = i - 1;
      while (before >= 0 && lines[before].trim() === '') before--;
      const skip = lines[before]?.match(SKIP_MARK)?.[1] ?? null;
      const body = lines
        .slice(i + 1, end)
        .join('\n')
        .replace(/\\\n\s*/g, ' ');
      const commands = body
        .split('\n')
        .map((command) => command.trim())
        .filter((command) => command !== '' && !command.startsWith('#'));
      blocks.push({ line: i + 1, heading, commands, skip });
    }
    i = end;
  }
  return blocks;
}

/** What a command of the README must print, beyond exiting 0 (matched against stdout and stderr). */
const EXPECTED: { command: RegExp; output: RegExp[] }[] = [
  { command: /^npx switchyard submit simulate .*--wait/, output: [/success/] },
  { command: /^npx switchyard submit checksum-tree .*--wait/, output: [/success/] },
  { command: /^npx switchyard jobs list$/, output: [/^ID\s+/m, /checksum-tree/, /simulate/] },
  { command: /^npx switchyard jobs show 1$/, output: [/simulate/, /success/] },
  { command: /^npx switchyard submit (snapshot|verify|delete|send-to-site) .*--wait/, output: [/success \(modified\)|skipped/] },
];

/** A command the README shows must answer within this long on first use (the issue asks 3 s; the shared test machine is slower). */
const ANSWER_MS = 15_000;

function run(command: string, cwd: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // A newcomer's shell: no hub or token in the environment, the CLI finds them in ./.switchyard.
    const { SWITCHYARD_URL: _url, SWITCHYARD_TOKEN: _token, ...env } = process.env;
    const child = spawn('bash', ['-c', command], { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not end within 120 s:\n${output}`));
    }, 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}

/**
 * The README's shell commands, run as a newcomer runs them: a hub started as `npm start`
 * starts it (a fresh directory, its data in ./.switchyard), then each command of each shell
 * block not marked `<!-- readme-test: skip: why -->`, from a second shell in that directory,
 * through the real `npx` — which finds `switchyard` in ./node_modules/.bin, where `npm ci`
 * links it in a checkout (here a link to this checkout's bin/switchyard.js). `src` is there
 * too, as in a checkout.
 */
describe('the README shell commands', () => {
  const blocks = shellBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'swy-readme-'));
  let hub: LongRunning | null = null;
  afterAll(async () => {
    hub?.child.kill('SIGTERM');
    await hub?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it('are each run here or marked with why not', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      expect(block.commands.length, `README.md:${block.line} is an empty shell block`).toBeGreaterThan(0);
      if (block.skip !== null) expect(block.skip.length, `README.md:${block.line}: a skip needs its reason`).toBeGreaterThan(10);
    }
    // The second shell of the quick start is what a newcomer types first: it must stay runnable.
    expect(blocks.filter((block) => block.skip === null && block.heading === 'Quick start')).toHaveLength(1);
  });

  it('work as written against a hub started as npm start starts it', { timeout: 300_000 }, async () => {
    mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
    symlinkSync(BIN, join(dir, 'node_modules/.bin/switchyard'));
    symlinkSync(join(ROOT, 'src'), join(dir, 'src'));
    const built = statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs;

    hub = startCli(['start', '--port', '0'], { cwd: dir, env: { SWITCHYARD_ADMIN_PASSWORD: 'readme newcomer pass 42' } });
    await hub.waitFor(/console:\s+(http:\/\/\S+)/, 60_000);

    const timings: string[] = [];
    for (const block of blocks.filter((b) => b.skip === null)) {
      for (const command of block.commands) {
        const result = await run(command, dir);
        timings.push(`${result.ms} ms  ${command}`);
        const where = `README.md:${block.line} (${block.heading}): ${command}\n${result.output}`;
        expect(result.code, where).toBe(0);
        for (const pattern of EXPECTED.find((e) => e.command.test(command))?.output ?? []) expect(result.output, where).toMatch(pattern);
        if (!command.includes('--wait')) expect(result.ms, `${where}\nanswered in ${result.ms} ms`).toBeLessThan(ANSWER_MS);
      }
    }
    console.log(`README commands:\n  ${timings.join('\n  ')}`);
    expect(EXPECTED.every((e) => blocks.some((b) => b.skip === null && b.commands.some((c) => e.command.test(c))))).toBe(true);
    // Nothing rebuilt dist/ under the running hub.
    expect(statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs).toBe(built);
    expect(hub.output()).not.toMatch(/error/i);
  });
});
