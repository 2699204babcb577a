// Fails the lint when a layer of src/ imports one it must not: dependencies point one way,
// model ← store ← engine ← {worker, api} ← hub ← cli, and the engine is the one door to the store.
//
//   node scripts/check-layers.mjs [--root DIR]     (DIR holds src/; default: this repository)
//
// Reads every .ts file under src/ with the TypeScript parser (so comments and strings that look
// like imports are not imports) and checks each relative specifier of `import … from`,
// `export … from`, `import('…')` with a literal and `import('…')` types. Package imports are not
// checked. Prints one line per violation — file, import, rule — and exits 1; exits 0 when clean.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Layers each layer may import (its own always included). `typesOnly` layers may be imported with
 * `import type` / `export type` only: erased at compile time, they add no run-time dependency.
 * The client hosts a remote worker, so it reaches the sdk (handlers' registry) and the engine's
 * worker-port contract (engine/ports.ts, types only) like the worker does.
 */
const RULES = {
  model: { may: ['model'] },
  store: { may: ['model'] },
  sdk: { may: ['model'] },
  engine: { may: ['model', 'store', 'sdk'] },
  worker: { may: ['model', 'sdk', 'engine'] },
  api: { may: ['model', 'engine', 'sdk'] },
  client: { may: ['model', 'worker', 'sdk'], typesOnly: ['api', 'engine'] },
  // Built-in workflows import what user workflows import: the package entry (src/index.ts), which
  // re-exports the sdk and model only.
  workflows: { may: ['sdk', 'model', 'index.ts'] },
  // The embedding API composes a hub: engine, HTTP plugin, in-process workers, built-in workflows.
  hub: { may: ['model', 'sdk', 'engine', 'worker', 'api', 'workflows'] },
  // The CLI may use every layer but the store: it goes through the engine.
  cli: { mayNot: ['store'] },
};
// Files at the src/ root (index.ts, the package entry point) may import anything.

/** The store backends: only the factory that picks one (and the backend's own files) may import them. */
const BACKENDS = ['store/sqlite', 'store/postgres'];
const BACKEND_FACTORY = 'store/create-store.ts';

/**
 * Files allowed to break the rules while a refactoring removes their violation: none today.
 * An entry must name its file and go once fixed; the script says when an entry is stale.
 */
const KNOWN_VIOLATIONS = new Set([]);

function parseArgs(argv) {
  let root = fileURLToPath(new URL('..', import.meta.url));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1]) root = argv[++i];
    else {
      console.error(`check-layers: unknown argument ${argv[i]}; usage: node scripts/check-layers.mjs [--root DIR]`);
      process.exit(2);
    }
  }
  return resolve(root);
}

function tsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file names, with whether the import is erased at compile time. */
function importsOf(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const literal = (node) => (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined);
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      found.push({ specifier: literal(node.moduleSpecifier), typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      found.push({ specifier: literal(node.moduleSpecifier), typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const specifier = literal(node.arguments[0]);
      if (specifier !== undefined) found.push({ specifier, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      found.push({ specifier: literal(node.argument.literal), typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.filter((entry) => entry.specifier !== undefined);
}

/** The layer of a path relative to src/ (posix separators): its first folder, or the file name at the root. */
function layerOf(srcPath) {
  const slash = srcPath.indexOf('/');
  return slash === -1 ? srcPath : srcPath.slice(0, slash);
}

function ruleBroken(fromPath, toPath, typeOnly) {
  const from = layerOf(fromPath);
  const to = layerOf(toPath);
  for (const backend of BACKENDS) {
    if (toPath.startsWith(`${backend}/`) && !fromPath.startsWith(`${backend}/`) && fromPath !== BACKEND_FACTORY) {
      return `only src/${BACKEND_FACTORY} may import src/${backend}`;
    }
  }
  if (from === to) return null;
  if (!fromPath.includes('/')) return null;
  const rule = RULES[from];
  if (!rule) return `src/${from} is not a known layer; give it a rule in scripts/check-layers.mjs`;
  if (rule.mayNot) return rule.mayNot.includes(to) ? `${from} may not import ${to} (${from} may import anything but ${rule.mayNot.join(', ')})` : null;
  if (rule.may.includes(to)) return null;
  if (rule.typesOnly?.includes(to)) return typeOnly ? null : `${from} may import ${to} with \`import type\` only`;
  const allowed = [...rule.may, ...(rule.typesOnly ?? []).map((layer) => `${layer} (types)`)];
  return `${from} may not import ${to} (${from} may import: ${allowed.join(', ')})`;
}

function main() {
  const root = parseArgs(process.argv.slice(2));
  const src = join(root, 'src');
  const violations = [];
  const allowed = new Map();
  for (const file of tsFiles(src).sort()) {
    const fromPath = relative(src, file).split(sep).join('/');
    const display = `src/${fromPath}`;
    for (const { specifier, typeOnly } of importsOf(file, readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const toPath = relative(src, target).split(sep).join('/');
      if (toPath.startsWith('..')) continue; // outside src/: not a layer
      const broken = ruleBroken(fromPath, toPath.replace(/\.js$/, '.ts'), typeOnly);
      if (!broken) continue;
      if (KNOWN_VIOLATIONS.has(display)) allowed.set(display, (allowed.get(display) ?? 0) + 1);
      else violations.push(`${display}: imports '${specifier}': ${broken}`);
    }
  }
  for (const file of KNOWN_VIOLATIONS) {
    if (!allowed.has(file) && statSafe(join(root, file))) console.error(`check-layers: ${file} no longer breaks a rule; remove it from KNOWN_VIOLATIONS`);
  }
  for (const line of violations) console.log(line);
  if (violations.length > 0) {
    console.error(`check-layers: ${violations.length} import(s) break the layer rules (model ← store ← engine ← {worker, api} ← cli)`);
    process.exit(1);
  }
}

function statSafe(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

main();
