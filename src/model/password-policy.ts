// Password rules after NIST SP 800-63B §5.1.1.2 (memorized secrets): a length floor and ceiling, no
// composition rules, and a refusal of passwords that are commonly used, expected or derived from
// the context (the username, the product name). Pure: no I/O; the common list is bundled data.
//
// The common list is the passwords dictionary of @zxcvbn-ts/language-common 4.1.3 (MIT,
// © 2012-2016 Dan Wheeler and Dropbox, Inc., © 2021 @zxcvbn-ts), 49,233 entries, copied into
// common-passwords.json by scripts/gen-common-passwords.mjs. To take it from the package instead,
// replace the import below with
//   import { dictionary } from '@zxcvbn-ts/language-common';
// and `commonPasswordList` with `dictionary['passwords-common']`.
import commonPasswordList from './common-passwords.json' with { type: 'json' };

/** Fewest code points a password may have (NIST asks at least 8; hub accounts steer production work, so we ask more). */
export const MIN_PASSWORD_LENGTH = 12;
/** Most code points a password may have: long passphrases are welcome, unbounded input is not. */
export const MAX_PASSWORD_LENGTH = 256;

/** Words no password may contain, whatever the user: the product's own name is the first guess. */
const CONTEXT_WORDS = ['switchyard'];

/** Usernames shorter than this are not searched for inside the password: "al" would refuse half the dictionary. */
const MIN_USERNAME_MATCH = 3;

let commonPasswords: Set<string> | undefined;

/** The common list as a Set, built on first use so importing the model costs nothing. */
function isCommon(lowered: string): boolean {
  commonPasswords ??= new Set(commonPasswordList as string[]);
  return commonPasswords.has(lowered);
}

/**
 * Says what is wrong with a password, as a sentence for the user, or null when it is acceptable.
 * Length is counted in Unicode code points after NFKC normalisation, so "ｐａｓｓ" and "pass" are the same.
 */
export function passwordProblem(password: string, context: { username?: string }): string | null {
  const normalised = password.normalize('NFKC');
  const codePoints = [...normalised];
  if (codePoints.length > 0 && normalised.trim() === '') {
    return 'A password cannot be only spaces; choose one with other characters.';
  }
  if (codePoints.length < MIN_PASSWORD_LENGTH) {
    return `Use at least ${MIN_PASSWORD_LENGTH} characters (this password has ${codePoints.length}); a few unrelated words make a good one.`;
  }
  if (codePoints.length > MAX_PASSWORD_LENGTH) {
    return `Use at most ${MAX_PASSWORD_LENGTH} characters (this password has ${codePoints.length}).`;
  }
  const lowered = normalised.toLowerCase();
  if (isRepetition([...lowered])) {
    return 'Do not repeat one character or a short pattern; choose something less predictable.';
  }
  if (isSequence([...lowered])) {
    return 'Do not use a simple sequence such as "abcdef…" or "123456…"; choose something less predictable.';
  }
  if (isCommon(lowered)) {
    return 'This password is on a list of commonly used passwords; choose another.';
  }
  const username = context.username?.normalize('NFKC').toLowerCase().trim() ?? '';
  if (username.length >= MIN_USERNAME_MATCH && lowered.includes(username)) {
    return 'A password must not contain your username.';
  }
  for (const word of CONTEXT_WORDS) {
    if (lowered.includes(word)) return `A password must not contain the word "${word}".`;
  }
  return null;
}

/** True when the whole password is one block of up to 4 characters repeated ("aaaa…", "abab…", "123123…"). */
function isRepetition(chars: string[]): boolean {
  for (let block = 1; block <= 4; block++) {
    if (chars.every((char, i) => char === chars[i % block])) return true;
  }
  return false;
}

/**
 * True when every character is the previous one plus 1, or every one minus 1, within one alphabet:
 * digits wrap 9 → 0 ("123456789012"), Latin letters wrap z → a; other characters step by code point.
 */
function isSequence(chars: string[]): boolean {
  const steps = new Set<number>();
  for (let i = 1; i < chars.length; i++) {
    const step = stepBetween(chars[i - 1]!, chars[i]!);
    if (step === null) return false;
    steps.add(step);
  }
  return steps.size === 1 && (steps.has(1) || steps.has(-1));
}

function stepBetween(from: string, to: string): number | null {
  const a = from.codePointAt(0)!;
  const b = to.codePointAt(0)!;
  for (const [first, size] of [
    [0x30, 10], // 0-9
    [0x61, 26], // a-z
  ] as const) {
    const inA = a >= first && a < first + size;
    const inB = b >= first && b < first + size;
    if (inA !== inB) return null;
    if (inA) {
      const forward = (b - a + size) % size;
      return forward === size - 1 ? -1 : forward;
    }
  }
  return b - a;
}
