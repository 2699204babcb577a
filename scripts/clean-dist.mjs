// Removes compiled server output before a build so files deleted from src/ do not linger in
// dist/. The console's build (dist/web) is left alone: it has its own build step.
import { readdirSync, rmSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
let entries = [];
try {
  entries = readdirSync(dist);
} catch {
  // nothing built yet
}
for (const entry of entries) if (entry !== 'web') rmSync(new URL(entry, dist), { recursive: true, force: true });
