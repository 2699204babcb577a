// Regenerates src/model/common-passwords.json from the passwords dictionary of the npm package
// @zxcvbn-ts/language-common (MIT, © 2012-2016 Dan Wheeler and Dropbox, Inc., © 2021 @zxcvbn-ts).
//
//   cd /tmp && npm pack @zxcvbn-ts/language-common && tar xzf zxcvbn-ts-language-common-*.tgz
//   node scripts/gen-common-passwords.mjs /tmp/package/src/passwords.json
//
// Entries are NFKC-normalised, lower-cased and de-duplicated, in the source's order (most common first),
// so the policy can compare them with the normalised, lower-cased candidate.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = process.argv[2];
if (!source) {
  console.error('usage: node scripts/gen-common-passwords.mjs PATH/TO/passwords.json');
  process.exit(2);
}
const words = JSON.parse(readFileSync(source, 'utf8'));
const unique = [...new Set(words.map((word) => String(word).normalize('NFKC').toLowerCase()))];
const target = fileURLToPath(new URL('../src/model/common-passwords.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(unique)}\n`);
console.log(`${unique.length} passwords written to ${target}`);
