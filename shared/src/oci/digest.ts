// Content digests: computing them for bytes and streams, and checking a stream against the
// digest it should have while it passes through, so nothing unverified is taken for a blob.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export type DigestAlgorithm = 'sha256' | 'sha512';

export function digestAlgorithm(digest: string): DigestAlgorithm {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** `sha256:<hex>` of the bytes (or the algorithm the expected digest uses). */
export function digestOf(bytes: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Whether the bytes have this digest, in whichever algorithm it names. */
export function matchesDigest(bytes: Buffer, digest: string): boolean {
  return digestOf(bytes, digestAlgorithm(digest)) === digest;
}

export class DigestMismatchError extends Error {
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, what = 'content') {
    super(`${what} has digest ${actual}, expected ${expected}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

export class SizeMismatchError extends Error {
  constructor(expected: number, actual: number, what = 'content') {
    super(`${what} is ${actual} bytes, expected ${expected}`);
    this.name = 'SizeMismatchError';
  }
}

/** Hashes what passes through; `digest()` is the running result once the stream has ended. */
export class DigestingStream extends Transform {
  private readonly hash: Hash;
  private readonly algorithm: DigestAlgorithm;
  bytes = 0;
  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  private result?: string;
  digest(): string {
    this.result ??= `${this.algorithm}:${this.hash.digest('hex')}`;
    return this.result;
  }
}

/**
 * Passes the data through and fails the stream, instead of ending it, when the content does not
 * have the expected digest (or size, when given). A consumer therefore never sees a clean end of
 * wrong content, and with the size given never even its last chunk.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash;
  private readonly expected: string;
  private readonly expectedSize: number | undefined;
  private readonly what: string;
  private seen = 0;
  /** the outcome of the digest check once made: null when the content matched */
  private checked?: DigestMismatchError | null;
  constructor(expected: string, options: { size?: number; what?: string } = {}) {
    super();
    this.expected = expected;
    this.expectedSize = options.size;
    this.what = options.what ?? 'content';
    this.hash = createHash(digestAlgorithm(expected));
  }
  /** Whether this stream already fails on anything but `digest` (of `size` bytes, when known). */
  verifies(digest: string, size: number | undefined): boolean {
    return digest === this.expected && (size === undefined || size === this.expectedSize);
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      callback(new SizeMismatchError(this.expectedSize, this.seen, this.what));
      return;
    }
    this.hash.update(chunk);
    // With the size known, the last byte is checked before it is passed on: a consumer (an
    // upload of exactly that many bytes) never receives the whole of wrong content.
    if (this.seen === this.expectedSize) {
      callback(this.mismatch(), chunk);
      return;
    }
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback): void {
    if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
      callback(new SizeMismatchError(this.expectedSize, this.seen, this.what));
      return;
    }
    callback(this.mismatch());
  }
  private mismatch(): DigestMismatchError | null {
    if (this.checked === undefined) {
      const actual = `${digestAlgorithm(this.expected)}:${this.hash.digest('hex')}`;
      this.checked = actual === this.expected ? null : new DigestMismatchError(this.expected, actual, this.what);
    }
    return this.checked;
  }
}
