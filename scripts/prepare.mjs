// `prepare` (run by `npm ci`, and by `npx switchyard` each time npx links this checkout):
// builds dist/ only when a source is newer than its build. A current build is left alone, so a
// second shell's `npx switchyard …` neither waits for a build nor deletes dist/ under a
// running hub. `npm run build` always rebuilds.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = ['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((file) => join(root, file));

/** [what the build writes, what it is built from, the npm script that builds it] */
const builds = [
  ['dist/cli/main.js', ['src', ...config], 'build:server'],
  // The console imports src/model, so model changes rebuild it too.
  ['dist/web/index.html', ['web', 'src/model', ...config], 'build:web'],
];

function newest(path) {
  const full = path.startsWith('/') ? path : join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(full)) if (entry !== 'node_modules') latest = Math.max(latest, newest(join(full, entry)));
  return latest;
}

for (const [output, sources, script] of builds) {
  const builtAt = existsSync(join(root, output)) ? statSync(join(root, output)).mtimeMs : 0;
  if (Math.max(...sources.map(newest)) <= builtAt) continue;
  console.error(`switchyard: building ${output.split('/')[1]} (npm run ${script})…`);
  const result = spawnSync('npm', ['run', script], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// `npx switchyard` in this checkout runs node_modules/.bin/switchyard when there is one, instead
// of linking the checkout into npx's cache and running this script again (seconds each time).
// npm does not link a project's own bin, so it is linked here — only into a node_modules that
// is this checkout's own directory (a git worktree sharing another checkout's is left alone).
const modules = join(root, 'node_modules');
if (existsSync(modules) && !lstatSync(modules).isSymbolicLink()) {
  const bin = join(modules, '.bin');
  const link = join(bin, 'switchyard');
  mkdirSync(bin, { recursive: true });
  if (!existsSync(link)) {
    try {
      symlinkSync(relative(bin, join(root, 'bin/switchyard.js')), link);
    } catch (error) {
      console.error(`switchyard: could not link ${link} (${error.message}); npx switchyard still works, more slowly`);
    }
  }
}
