import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SwitchyardError } from '../model/index.js';

/** A blob's name: its content's sha256, 64 lowercase hex digits. */
export const SHA256 = /^[0-9a-f]{64}$/;
/** Most bytes one upload request may carry: a larger blob goes up in several (and resumes between them). */
export const TRANSFER_CHUNK_MAX = 64 * 1024 * 1024;
/** Default largest blob the hub keeps (1 TiB). */
export const DEFAULT_MAX_BLOB_BYTES = 1024 ** 4;

/** How much of a blob the hub holds: `received` bytes, and whether it is whole and verified. */
export interface TransferStatus {
  received: number;
  complete: boolean;
}

export interface TransferUpload {
  jobId: number;
  sha256: string;
  /** The blob's whole size. */
  size: number;
  /** Where these bytes start: must equal what the hub holds (`received`). */
  offset: number;
  body: AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
}

export interface TransferDownload {
  jobId: number;
  sha256: string;
  /** First byte wanted (default 0). */
  offset?: number;
  /** Last byte wanted, inclusive (default: the last). */
  end?: number;
  signal?: AbortSignal;
}

/** A download's answer: the blob's whole size and the bytes from `offset` through `end`. */
export interface TransferBody {
  size: number;
  offset: number;
  end: number;
  body: AsyncIterable<Uint8Array>;
}

/**
 * The hub's store of transfer blobs: files under `<dir>/<jobId>/<sha256>`, content addressed
 * and scoped to one job. Uploads stream to `<sha256>.part` (appended, so an upload cut off
 * resumes from what arrived); a blob counts as complete only once the hub has hashed the
 * whole part and found the sha256 it is named by, then it is renamed into place. Nothing is
 * ever held in memory whole. A job's directory is removed when the job ends (see the engine)
 * and by a periodic sweep of directories whose job has ended or is gone.
 */
export class TransferStore {
  /** Uploads under way, by `<jobId>/<sha256>`: a second upload of the same blob is refused (busy) until the first ends. */
  private readonly uploading = new Set<string>();
  /** The running sha256 of parts being uploaded, and how many bytes it covers: a part is not read again to be verified. */
  private readonly hashes = new Map<string, { hash: Hash; bytes: number }>();
  /** Job directories known to exist. */
  private readonly jobDirs = new Set<number>();

  constructor(
    readonly dir: string,
    private readonly maxBlobBytes: number = DEFAULT_MAX_BLOB_BYTES,
  ) {}

  private paths(jobId: number, sha256: string): { job: string; blob: string; part: string } {
    checkName(jobId, sha256);
    const job = join(this.dir, String(jobId));
    return { job, blob: join(job, sha256), part: join(job, `${sha256}.part`) };
  }

  async status(jobId: number, sha256: string): Promise<TransferStatus> {
    const { blob, part } = this.paths(jobId, sha256);
    const whole = await sizeOf(blob);
    if (whole !== null) return { received: whole, complete: true };
    return { received: (await sizeOf(part)) ?? 0, complete: false };
  }

  /**
   * Appends `body` to the blob's part file, from `offset` (which must be what the hub holds:
   * SWY_ERR_TRANSFER_OFFSET otherwise, answering how much it holds). At most
   * TRANSFER_CHUNK_MAX bytes per call, and never past `size` (SWY_ERR_PAYLOAD_TOO_LARGE). When
   * the part reaches `size` it is verified: a sha256 other than the blob's name discards it
   * (SWY_ERR_TRANSFER_CORRUPT).
   */
  async upload(request: TransferUpload): Promise<TransferStatus> {
    const { jobId, sha256, size, offset } = request;
    const { job, blob, part } = this.paths(jobId, sha256);
    if (!Number.isSafeInteger(size) || size < 0) throw new SwitchyardError('SWY_ERR_VALIDATION', 'size must be a whole number of bytes');
    if (size > this.maxBlobBytes) throw new SwitchyardError('SWY_ERR_PAYLOAD_TOO_LARGE', `A transfer may be at most ${this.maxBlobBytes} bytes`);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new SwitchyardError('SWY_ERR_VALIDATION', 'offset must lie within the blob');
    const key = `${jobId}/${sha256}`;
    if (this.uploading.has(key)) throw new SwitchyardError('SWY_ERR_TRANSFER_BUSY');
    this.uploading.add(key);
    try {
      const whole = await sizeOf(blob);
      if (whole !== null) return { received: whole, complete: true };
      const held = (await sizeOf(part)) ?? 0;
      if (held > size) {
        // A part longer than the blob: left by an upload that declared another size. Start over.
        await rm(part, { force: true });
        throw offsetError(0);
      }
      if (offset !== held) throw offsetError(held);
      if (!this.jobDirs.has(jobId)) {
        // Owner-only: blobs are the sites' files.
        await mkdir(job, { recursive: true, mode: 0o700 });
        this.jobDirs.add(jobId);
      }
      // Go on from the running hash when it covers what the part holds; otherwise (a hub restart) read the part once.
      let running = this.hashes.get(key);
      if (!running || running.bytes !== held) {
        running = { hash: createHash('sha256'), bytes: 0 };
        if (held > 0) for await (const chunk of createReadStream(part, { end: held - 1, highWaterMark: 1024 * 1024 })) running.hash.update(chunk as Buffer);
        running.bytes = held;
        this.hashes.set(key, running);
      }
      const hashing = running;
      const room = Math.min(size - offset, TRANSFER_CHUNK_MAX);
      let written = 0;
      const bounded = async function* (): AsyncGenerator<Uint8Array> {
        for await (const chunk of request.body) {
          written += chunk.length;
          if (written > room) {
            throw new SwitchyardError(
              'SWY_ERR_PAYLOAD_TOO_LARGE',
              written + offset > size ? 'The upload runs past the size it declared' : `One upload request may carry at most ${TRANSFER_CHUNK_MAX} bytes`,
            );
          }
          hashing.hash.update(chunk);
          hashing.bytes += chunk.length;
          yield chunk;
        }
      };
      try {
        await pipeline(bounded, createWriteStream(part, { flags: 'a' }), { signal: request.signal });
      } catch (error) {
        // What arrived before the cut is kept (resumable), except past a limit: then the part is cut back.
        if (error instanceof SwitchyardError && error.code === 'SWY_ERR_PAYLOAD_TOO_LARGE') await truncateTo(part, held);
        throw error;
      }
      const received = held + written;
      if (received < size) return { received, complete: false };
      this.hashes.delete(key);
      if ((await sizeOf(part)) !== size || hashing.hash.digest('hex') !== sha256) {
        await rm(part, { force: true });
        throw new SwitchyardError('SWY_ERR_TRANSFER_CORRUPT');
      }
      await rename(part, blob);
      return { received: size, complete: true };
    } finally {
      this.uploading.delete(key);
    }
  }

  /** Reads a complete blob from `offset` through `end` (inclusive); SWY_ERR_TRANSFER_RANGE when they do not lie within it. */
  async download(request: TransferDownload): Promise<TransferBody> {
    const { blob } = this.paths(request.jobId, request.sha256);
    const size = await sizeOf(blob);
    if (size === null) throw new SwitchyardError('SWY_ERR_TRANSFER_NOT_FOUND');
    const offset = request.offset ?? 0;
    const end = request.end ?? size - 1;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(end) || offset < 0 || (size > 0 && (offset >= size || end < offset || end >= size))) {
      if (!(size === 0 && offset === 0)) throw new SwitchyardError('SWY_ERR_TRANSFER_RANGE', `The blob has ${size} bytes; that range lies outside it`);
    }
    const body = size === 0 ? emptyBody() : createReadStream(blob, { start: offset, end, signal: request.signal });
    return { size, offset, end: Math.max(end, offset - 1), body };
  }

  /** Removes a job's blobs (the job ended). */
  async removeJob(jobId: number): Promise<void> {
    if (!Number.isSafeInteger(jobId) || jobId <= 0) return;
    this.jobDirs.delete(jobId);
    for (const key of this.hashes.keys()) if (key.startsWith(`${jobId}/`)) this.hashes.delete(key);
    await rm(join(this.dir, String(jobId)), { recursive: true, force: true });
  }

  /** The jobs that have a directory here. */
  async jobs(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((name) => /^[1-9][0-9]{0,15}$/.test(name)).map(Number);
  }

  /**
   * Removes the store's own directory when nothing is left in it (every job's blobs gone), so
   * that a hub leaves no empty folder behind; one holding blobs stays for the next start.
   */
  async close(): Promise<void> {
    await rmdir(this.dir).catch(() => {});
  }

  /** Removes the directories of jobs `ended` says are over (or gone); answers how many. */
  async sweep(ended: (jobId: number) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const jobId of await this.jobs()) {
      if (await ended(jobId)) {
        await this.removeJob(jobId);
        removed += 1;
      }
    }
    return removed;
  }
}

function checkName(jobId: number, sha256: string): void {
  if (!Number.isSafeInteger(jobId) || jobId <= 0) throw new SwitchyardError('SWY_ERR_VALIDATION', 'jobId must be a job id');
  if (typeof sha256 !== 'string' || !SHA256.test(sha256))
    throw new SwitchyardError('SWY_ERR_VALIDATION', 'a blob is named by its sha256: 64 lowercase hex digits');
}

function offsetError(received: number): SwitchyardError {
  const error = new SwitchyardError('SWY_ERR_TRANSFER_OFFSET', `The hub holds ${received} bytes of this blob: send from there`);
  (error as SwitchyardError & { received?: number }).received = received;
  return error;
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function truncateTo(path: string, size: number): Promise<void> {
  await truncate(path, size).catch(() => rm(path, { force: true }));
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
