/**
 * The path filter of a job's items (a substring, case-insensitive) served by a summary of each
 * batch of items written: a Bloom filter of the trigrams of its paths, kept in `item_grams`
 * with the batch's id range (migration 25). A filter reads the summaries of the job, keeps the
 * batches whose summary holds every trigram of the text, and matches only their items: at a
 * million items, text that matches nothing reads no items at all. A summary can only say
 * "maybe": a batch it keeps may hold no match (the LIKE decides), a batch it drops holds none.
 *
 * A batch is summarized SUMMARY_ITEMS items at a time, so a filter that matches a few items
 * spread over the job reads a few hundred items around each. Cheap to write: about 30 hashes
 * per path, in the statement that writes the batch, and a row per SUMMARY_ITEMS items (at most
 * 1 KiB: 16 bits per item), never updated. An index of trigrams over every path (pg_trgm)
 * made recording items 2 to 3.5 times slower on PostgreSQL.
 */

/** Items per summary: a batch of more has one summary per slice of this many. */
export const SUMMARY_ITEMS = 512;
/** Bits of a summary per item, and the bounds of its size (powers of two; 8,192 bits keep a PostgreSQL row under its out-of-line threshold). */
const BITS_PER_ITEM = 16;
const MIN_BITS = 256;
const MAX_BITS = 8192;

/**
 * A UTF-16 code unit as the summaries see it: ASCII letters folded to lower case, every other
 * character of 128 and above as one class (128), except the two whose lower case is an ASCII
 * letter (KELVIN SIGN, and the dotted capital I, which some collations lower to `i`). Either
 * store's case-insensitive match of ASCII text then implies the same trigrams here: SQLite's
 * LIKE folds ASCII only; PostgreSQL's ILIKE lowers both sides, and no other character lowers
 * to ASCII. Text with other characters is matched without the summaries (needleGrams).
 */
function fold(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code + 32 : code;
  if (code === 0x212a) return 107; // K (KELVIN SIGN) → k
  if (code === 0x130) return 105; // İ → i
  return 128;
}

/** A trigram of folded codes (each under 256) mixed into 32 bits (murmur3's finalizer): every bit of the result depends on every bit of the trigram. */
function gramHash(gram: number): number {
  let h = gram;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The summary of a slice of a batch's paths (at most SUMMARY_ITEMS): bit `hash & (bits - 1)` set for each trigram, bit i in byte i >> 3 at 1 << (i & 7) (PostgreSQL's get_bit on bytea reads bits so). */
export function pathGrams(paths: readonly string[]): Uint8Array {
  let bits = MIN_BITS;
  while (bits < MAX_BITS && bits < paths.length * BITS_PER_ITEM) bits *= 2;
  const bloom = new Uint8Array(bits >>> 3);
  const mask = bits - 1;
  for (const path of paths) {
    let gram = 0;
    for (let i = 0; i < path.length; i++) {
      gram = ((gram << 8) | fold(path.charCodeAt(i))) & 0xffffff;
      if (i >= 2) {
        const bit = gramHash(gram) & mask;
        bloom[bit >>> 3] |= 1 << (bit & 7);
      }
    }
  }
  return bloom;
}

/** The summaries of a batch of items: one per SUMMARY_ITEMS of them, in order. */
export function itemSummaries(items: readonly { path: string }[]): Uint8Array[] {
  const summaries: Uint8Array[] = [];
  for (let at = 0; at < items.length; at += SUMMARY_ITEMS) summaries.push(pathGrams(items.slice(at, at + SUMMARY_ITEMS).map((item) => item.path)));
  return summaries;
}

/** Trigrams of a filter's text tested against each summary, at most: a few already turn away nearly every summary that lacks the text. */
const MAX_NEEDLE_GRAMS = 32;

/**
 * The hashes of the trigrams of a path filter's text (at most MAX_NEEDLE_GRAMS of them, spread
 * over it: testing fewer only keeps more summaries), or null when the summaries cannot serve
 * it: text under 3 characters, or with a character outside ASCII (see fold).
 */
export function needleGrams(needle: string): number[] | null {
  if (needle.length < 3 || !/^[\x00-\x7f]*$/.test(needle)) return null;
  const hashes = new Set<number>();
  let gram = 0;
  for (let i = 0; i < needle.length; i++) {
    gram = ((gram << 8) | fold(needle.charCodeAt(i))) & 0xffffff;
    if (i >= 2) hashes.add(gramHash(gram));
  }
  const all = [...hashes];
  if (all.length <= MAX_NEEDLE_GRAMS) return all;
  return Array.from({ length: MAX_NEEDLE_GRAMS }, (_, i) => all[Math.floor((i * all.length) / MAX_NEEDLE_GRAMS)]);
}

/** Whether a summary holds every one of the trigram hashes. */
export function mayHold(bloom: Uint8Array, hashes: readonly number[]): boolean {
  const mask = bloom.length * 8 - 1;
  for (const hash of hashes) {
    const bit = hash & mask;
    if ((bloom[bit >>> 3] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}

/** An inclusive range of item ids. */
export interface IdRange {
  lo: number;
  hi: number;
}

/**
 * The ranges to read: sorted by `lo`, overlapping ones joined (PostgreSQL's concurrent batches
 * may interleave their ids), and a joined range longer than a summary's worth cut into pieces of
 * SUMMARY_ITEMS ids. Each piece is read up to a page of matches: without statistics PostgreSQL
 * read all of a long range (20,000 ids: 9 ms) to sort it.
 */
export function summaryRanges(ranges: readonly IdRange[]): IdRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo);
  const joined: IdRange[] = [];
  for (const range of sorted) {
    const last = joined[joined.length - 1];
    if (last && range.lo <= last.hi) last.hi = Math.max(last.hi, range.hi);
    else joined.push({ ...range });
  }
  const pieces: IdRange[] = [];
  for (const { lo, hi } of joined) {
    for (let start = lo; start <= hi; start += SUMMARY_ITEMS) pieces.push({ lo: start, hi: Math.min(hi, start + SUMMARY_ITEMS - 1) });
  }
  return pieces;
}

/**
 * Ranges read by each statement in turn, then RANGES_PER_READ at most: each range reads up to
 * a page of its items, so common text fills the page from the first few, and rare text reads
 * many ranges a statement.
 */
export const FIRST_RANGE_READS = [4, 16];
export const RANGES_PER_READ = 64;
