import { describe, expect, it } from 'vitest';
import commonPasswordList from '../../src/model/common-passwords.json' with { type: 'json' };
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/model/password-policy.js';

// Each row: a password, the username, and a fragment of the expected sentence (null = accepted).
const cases: Array<[label: string, password: string, username: string | undefined, problem: RegExp | null]> = [
  ['a single character', 'a', undefined, /at least 12 characters/],
  ['the empty string', '', undefined, /at least 12 characters/],
  ['"password"', 'password', undefined, /at least 12 characters/],
  ['eight spaces', '        ', undefined, /only spaces/],
  ['twelve spaces and tabs', ' \t          ', undefined, /only spaces/],
  ['one character repeated', 'aaaaaaaaaaaa', undefined, /repeat/],
  ['a short block repeated', 'abcabcabcabc', undefined, /repeat/],
  ['digits in sequence, wrapping', '123456789012', undefined, /sequence/],
  ['letters in sequence', 'abcdefghijkl', undefined, /sequence/],
  ['letters in sequence, upper case', 'ABCDEFGHIJKL', undefined, /sequence/],
  ['a descending sequence', 'zyxwvutsrqpo', undefined, /sequence/],
  ['a common password, 12 characters', 'password1234', undefined, /commonly used/],
  ['a common password in other case', 'QWERTY123456', undefined, /commonly used/],
  ['a common password in full-width letters (NFKC)', 'ｐａｓｓｗｏｒｄ１２３４', undefined, /commonly used/],
  ['the username inside', 'my-alice-horse-battery', 'Alice', /username/],
  ['the product name inside', 'my SwitchYard password', undefined, /"switchyard"/],
  ['a long random passphrase', 'correct horse battery staple lantern', 'alice', null],
  // Not on the zxcvbn common list (which has "password1234" but not this), so accepted on length alone.
  ['"Password123!"', 'Password123!', undefined, null],
  ['a two-letter username is not searched for', 'al dente pasta with tomatoes', 'al', null],
  ['exactly the maximum length', `${'x'.repeat(MAX_PASSWORD_LENGTH - 4)}yz!?`, undefined, null],
  ['one over the maximum length', `${'x'.repeat(MAX_PASSWORD_LENGTH - 3)}yz!?`, undefined, /at most 256 characters/],
  ['emoji counted as code points, not UTF-16 units', '🦊🦊🦊🦊🦊🐻', undefined, /this password has 6/],
];

describe('passwordProblem', () => {
  it.each(cases)('%s', (_label, password, username, problem) => {
    const answer = passwordProblem(password, { username });
    if (problem === null) expect(answer).toBeNull();
    else expect(answer).toMatch(problem);
  });

  it('ships a common list of at least 10,000 lower-case entries', () => {
    expect(commonPasswordList.length).toBeGreaterThanOrEqual(10_000);
    expect(commonPasswordList.every((word) => word === word.toLowerCase())).toBe(true);
  });

  it('exports the NIST-style bounds', () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(MAX_PASSWORD_LENGTH).toBe(256);
  });

  it('answers with one sentence telling the user what to do', () => {
    for (const [, password, username] of cases) {
      const answer = passwordProblem(password, { username });
      if (answer !== null) expect(answer).toMatch(/^[A-Z].*\.$/);
    }
  });
});
