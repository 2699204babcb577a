import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open, rename, rm, stat, utimes } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { WorkerPort } from '../engine/ports.js';
import type { TransferStatus } from '../engine/transfer-store.js';
import { partialPathFor, type SiteTransfer, type TransferBlob, type TransferGetOptions, type TransferOptions } from '../sdk/transfer.js';

/** Bytes per upload request: well under the hub's 64 MiB cap; a cut-off upload resends at most this. */
const UPLOAD_CHUNK = 16 * 1024 * 1024;
/** Files up to this size are read once into memory (hash and upload from the same bytes): small files cost one request. */
const SMALL_FILE = 1024 * 1024;
/** Attempts at one blob when the hub cannot be reached or the bytes changed under us. */
const ATTEMPTS = 8;
/** Progress is told at most this often. */
const PROGRESS_MS = 250;

/**
 * `ctx.transfer` as a worker runs it, over its port to the hub (HTTP, or the engine itself in
 * the hub's process). One per task attempt: `jobId` scopes the blobs, `signal` is the task's.
 */
export class TransferClient implements SiteTransfer {
  constructor(
    private readonly port: WorkerPort,
    private readonly jobId: number,
    private readonly signal: AbortSignal,
  ) {}

  async putData(data: Uint8Array | string): Promise<TransferBlob> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const blob = { sha256: sha256Of(bytes), size: bytes.length };
    await this.upload(blob, (start, end) => [bytes.subarray(start, end)], undefined);
    return blob;
  }

  async put(path: string | Buffer, options: TransferOptions = {}): Promise<TransferBlob> {
    for (let attempt = 1; ; attempt++) {
      const handle = await open(path, 'r');
      try {
        const before = await handle.stat();
        if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
        if (before.size <= SMALL_FILE) {
          const bytes = await handle.readFile();
          const blob = { sha256: sha256Of(bytes), size: bytes.length };
          await this.upload(blob, (start, end) => [bytes.subarray(start, end)], options.onProgress);
          return blob;
        }
        const blob = { sha256: await hashHandle(handle, before.size, this.signal), size: before.size };
        try {
          await this.upload(
            blob,
            // Each piece reads the file afresh: were it replaced meanwhile, the hub's sha256 check finds out.
            (start, end) => createReadStream(path, { start, end: end - 1, highWaterMark: 1024 * 1024 }),
            options.onProgress,
          );
        } catch (error) {
          // The file changed while it was read (the hub found other bytes than the hash promised): read it again.
          if (codeOf(error) === 'SWY_ERR_TRANSFER_CORRUPT' && attempt < 3) continue;
          throw error;
        }
        return blob;
      } finally {
        await handle.close();
      }
    }
  }

  /**
   * Sends what the hub lacks of `blob`, `bytes(start, end)` giving the bytes from start up to
   * end. Resumes from what the hub says it holds; waits while another upload of the same blob
   * runs; retries (from where the hub got to) while the hub cannot be reached.
   */
  private async upload(
    blob: TransferBlob,
    bytes: (start: number, end: number) => AsyncIterable<Uint8Array> | Uint8Array[],
    onProgress?: (bytes: number) => void,
  ) {
    const progress = throttle(onProgress);
    let status: TransferStatus | null = blob.size <= SMALL_FILE ? { received: 0, complete: false } : null;
    for (let failures = 0; ; ) {
      this.signal.throwIfAborted();
      try {
        status ??= await this.port.transferStatus({ jobId: this.jobId, sha256: blob.sha256 });
        if (status.complete) {
          progress(blob.size, true);
          return;
        }
        const offset = status.received;
        const end = Math.min(blob.size, offset + UPLOAD_CHUNK);
        status = await this.port.transferUpload({
          jobId: this.jobId,
          sha256: blob.sha256,
          size: blob.size,
          offset,
          // Opened only when the port reads it: a refused request (busy, offset) leaves no file open.
          body: counted(
            () => bytes(offset, end),
            (sent) => progress(offset + sent),
          ),
          signal: this.signal,
        });
        failures = 0;
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason ?? error;
        const code = codeOf(error);
        if (code === 'SWY_ERR_TRANSFER_OFFSET') {
          status = { received: receivedOf(error), complete: false };
          continue;
        }
        status = null;
        if (code === 'SWY_ERR_TRANSFER_BUSY') {
          await pause(200 + Math.random() * 300, this.signal);
          continue;
        }
        if (!transient(error) || ++failures >= ATTEMPTS) throw error;
        await pause(Math.min(10_000, 250 * 2 ** failures), this.signal);
      }
    }
  }

  async get(blob: TransferBlob, destination: string | Buffer, options: TransferGetOptions = {}): Promise<TransferBlob> {
    const partial = partialPathFor(destination, blob.sha256);
    const progress = throttle(options.onProgress);
    for (let failures = 0, corrupt = 0; ; ) {
      this.signal.throwIfAborted();
      let have = await sizeOf(partial);
      if (have > blob.size) {
        await rm(partial, { force: true });
        have = 0;
      }
      try {
        // The bytes are hashed as they arrive; a partial file left by an earlier attempt is read once to catch up.
        const hash = createHash('sha256');
        if (have > 0)
          for await (const chunk of createReadStream(partial, { end: have - 1, highWaterMark: 1024 * 1024, signal: this.signal })) hash.update(chunk as Buffer);
        if (have < blob.size || (blob.size === 0 && !(await exists(partial)))) {
          const answer = await this.port.transferDownload({ jobId: this.jobId, sha256: blob.sha256, offset: have, signal: this.signal });
          if (answer.size !== blob.size) throw new Error(`the hub's blob has ${answer.size} bytes, not ${blob.size}`);
          const file = createWriteStream(partial, { flags: 'a' });
          await pipeline(
            counted(
              () => answer.body,
              (got, chunk) => {
                hash.update(chunk);
                progress(have + got);
              },
            ),
            file,
            { signal: this.signal },
          );
          failures = 0;
          if ((await sizeOf(partial)) !== blob.size) continue;
        }
        if (hash.digest('hex') !== blob.sha256) {
          await rm(partial, { force: true });
          if (++corrupt >= 2) throw new Error(`the bytes received for ${blob.sha256} do not have that sha256`);
          continue;
        }
        if (options.mtimeMs !== undefined) {
          // The middle of the millisecond: seconds as a double lose a few nanoseconds, and a
          // time set to its exact start could read back (floored to ms) one millisecond early.
          const at = (Math.floor(options.mtimeMs) + 0.5) / 1000;
          await utimes(partial, at, at);
        }
        await rename(partial, destination);
        progress(blob.size, true);
        return blob;
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason ?? error;
        if (!transient(error) || ++failures >= ATTEMPTS) throw error;
        await pause(Math.min(10_000, 250 * 2 ** failures), this.signal);
      }
    }
  }
}

/** A SiteTransfer for a worker with no hub to transfer through (a test's fake port). */
export const noTransfer: SiteTransfer = {
  put: () => Promise.reject(new Error('this worker has no hub to transfer through')),
  putData: () => Promise.reject(new Error('this worker has no hub to transfer through')),
  get: () => Promise.reject(new Error('this worker has no hub to transfer through')),
};

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function hashHandle(handle: FileHandle, size: number, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  if (size > 0) {
    for await (const chunk of createReadStream('', { fd: handle, start: 0, end: size - 1, autoClose: false, highWaterMark: 1024 * 1024, signal })) {
      hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

async function* counted(
  source: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  told: (bytes: number, chunk: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of source()) {
    // An empty chunk would end a chunked HTTP body early.
    if (chunk.length === 0) continue;
    bytes += chunk.length;
    told(bytes, chunk);
    yield chunk;
  }
}

function throttle(onProgress?: (bytes: number) => void): (bytes: number, force?: boolean) => void {
  if (!onProgress) return () => {};
  let last = 0;
  return (bytes, force = false) => {
    const now = Date.now();
    if (!force && now - last < PROGRESS_MS) return;
    last = now;
    try {
      onProgress(bytes);
    } catch {
      // A progress callback's fault is not the transfer's.
    }
  };
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string })?.code;
}

function receivedOf(error: unknown): number {
  const direct = (error as { received?: unknown }).received;
  if (typeof direct === 'number') return direct;
  const body = (error as { body?: { received?: unknown } }).body;
  return typeof body?.received === 'number' ? body.received : 0;
}

/** The hub could not be reached, answered 5xx, or the connection broke mid-stream: worth another try. */
function transient(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return status === 0 || status >= 500 || status === 408;
  const code = codeOf(error);
  if (code?.startsWith('SWY_ERR_')) return false;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'UND_ERR_SOCKET' || (error as Error)?.name === 'TypeError';
}

async function sizeOf(path: Buffer): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 0;
    throw error;
  }
}

async function exists(path: Buffer): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
