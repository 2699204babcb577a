import { createHash } from 'node:crypto';

/** A blob the hub holds for a job: a file's (or some bytes') content, named by its sha256. */
export type TransferBlob = {
  sha256: string;
  size: number;
};

export interface TransferOptions {
  /** Told how many bytes of this blob have moved so far (hashing not counted), now and then. */
  onProgress?(bytes: number): void;
}

export interface TransferGetOptions extends TransferOptions {
  /** Sets the file's modification time (epoch ms) before it appears at its destination. */
  mtimeMs?: number;
}

/**
 * Moving files between sites through the hub (`ctx.transfer`). A worker at the source puts a
 * file and hands the answer (`{ sha256, size }`, plain JSON) to a task at the destination,
 * which gets it. Both honour the task's signal (pause, cancel) within a file, and both resume
 * where they left off after an interruption or a restart:
 *
 * - `put(path)` hashes the file, asks the hub how much of that blob it holds (nothing to send
 *   when it holds it all, e.g. the same content put before in this job) and streams the rest.
 *   `path` is absolute (from `resolveInSite`), a string or bytes.
 * - `get(blob, destination)` streams the blob into a partial file next to the destination
 *   (`.<hash>.swypart`, resumed from its size after a restart), checks its sha256 and renames it
 *   into place: the file appears whole, once, or not at all.
 *
 * Blobs belong to the job and are removed by the hub when it ends.
 */
export interface SiteTransfer {
  put(path: string | Buffer, options?: TransferOptions): Promise<TransferBlob>;
  /** Puts bytes held in memory (a listing, a manifest). */
  putData(data: Uint8Array | string): Promise<TransferBlob>;
  get(blob: TransferBlob, destination: string | Buffer, options?: TransferGetOptions): Promise<TransferBlob>;
}

/** The suffix of `get`'s partial files: walks of a tree being written to should leave them out. */
export const PARTIAL_SUFFIX = '.swypart';

/** Whether a name (the last part of a path) is one of `get`'s partial files. */
export function isTransferPartial(name: string): boolean {
  return name.endsWith(PARTIAL_SUFFIX) && /^\.[0-9a-f]{12}-[0-9a-f]{16}\.swypart$/.test(name);
}

/** The partial file `get` writes `destination` through: in the same directory, so the rename is atomic. */
export function partialPathFor(destination: string | Buffer, sha256: string): Buffer {
  const bytes = typeof destination === 'string' ? Buffer.from(destination) : destination;
  const cut = bytes.lastIndexOf(0x2f);
  const dir = bytes.subarray(0, cut + 1);
  const name = bytes.subarray(cut + 1);
  const tag = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return Buffer.concat([dir, Buffer.from(`.${tag}-${sha256.slice(0, 16)}${PARTIAL_SUFFIX}`)]);
}
