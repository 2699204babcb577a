import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createClient, type SwitchyardClient } from '../client/client.js';

/** The file in the data directory where `switchyard start` writes the CLI's hub URL and token. */
export const CLI_CREDENTIALS = 'cli.json';

export interface ConnectionFlags {
  hub?: string;
  token?: string;
  data?: string;
}

/**
 * Where the CLI finds its hub: --hub/--token, else SWITCHYARD_URL/SWITCHYARD_TOKEN, else the
 * credentials `switchyard start` wrote in the data directory (./.switchyard by default), so
 * that commands in a second shell on the same machine just work.
 */
export function connect(flags: ConnectionFlags): SwitchyardClient {
  const dataDir = resolve(flags.data ?? process.env.SWITCHYARD_DATA ?? '.switchyard');
  const saved = readSaved(join(dataDir, CLI_CREDENTIALS));
  const url = flags.hub ?? process.env.SWITCHYARD_URL ?? saved?.url;
  const token = flags.token ?? process.env.SWITCHYARD_TOKEN ?? (url === saved?.url || !flags.hub ? saved?.token : undefined);
  if (!url) {
    throw new Error(`no hub to talk to: pass --hub URL (and --token), set SWITCHYARD_URL, or run this where \`switchyard start\` keeps its data (${dataDir})`);
  }
  return createClient({ url, token });
}

function readSaved(file: string): { url?: string; token?: string } | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
