// The upload path of the registry client: cross-repository mounts, upload sessions, one streamed
// PUT when the size is known and the registry takes it, PATCH chunks otherwise (the registry's
// OCI-Chunk-Min/Max-Length honoured, a 413 halving the chunk, a 413/416 to the single request
// switching the registry to chunks for good), every byte checked against the digest on the way.
// It sits behind RegistryClient (pushBlob, mountBlob, checkPushAccess) and uses the client's own
// request plumbing, so auth, retries and error wording are the client's.
import type { Readable } from 'node:stream';
import { AuthError, repositoryScope } from './auth.js';
import type { BlobBody, CallSpec, RegistryAction, RepositoryRef } from './client.js';
import { DigestMismatchError, VerifyingStream } from './digest.js';
import { isDigest } from './reference.js';
import {
  discardResponse as dump,
  type Headers,
  type HttpResponse,
  header,
  RegistryError,
  RetryableStatusError,
  readText,
  type Transport,
} from './transport.js';

/** What the uploader borrows from the client: its transport and its request plumbing. */
export interface UploadPlumbing {
  transport: Transport;
  logger?: { debug(msg: string): void };
  url(repo: RepositoryRef, path: string): string;
  exchange(spec: CallSpec): Promise<HttpResponse>;
  call<T>(spec: CallSpec, handle: (res: HttpResponse) => Promise<T>, options?: { retry?: boolean }): Promise<T>;
  responseError(
    operation: string,
    res: HttpResponse,
    repo: RepositoryRef,
    action: RegistryAction,
    kind: 'manifest' | 'blob' | 'repository',
    text?: string,
  ): Promise<RegistryError>;
  statusError(
    operation: string,
    status: number,
    headers: Headers,
    text: string,
    context: { repo: RepositoryRef; action: RegistryAction; kind?: 'manifest' | 'blob' | 'repository' },
    cause?: unknown,
  ): Promise<RegistryError>;
  wrap(operation: string, err: unknown): Error;
}

/** `location` with `digest=` added to its query, whatever query it already has. */
function withQuery(location: string, name: string, value: string): string {
  const url = new URL(location);
  url.searchParams.set(name, value);
  return url.toString();
}

/** A PATCH refused with 413 is halved down to this size, not below. */
const MIN_CHUNK_BYTES = 64 * 1024;

/** An open upload session: its absolute Location and the chunk sizes the registry announced. */
export interface UploadSession {
  location: string;
  /** OCI-Chunk-Min-Length, 0 when not announced */
  minChunk: number;
  /** OCI-Chunk-Max-Length, undefined when not announced */
  maxChunk?: number;
}

function positiveHeader(res: HttpResponse, name: string): number | undefined {
  const v = header(res.headers, name);
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  const n = Number(v);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** The session a 202 answer (POST of an upload or a mount that fell back) opened. */
function uploadSession(res: HttpResponse, requestUrl: string): UploadSession | undefined {
  const location = header(res.headers, 'location');
  if (!location) return undefined;
  return {
    location: new URL(location, requestUrl).toString(),
    minChunk: positiveHeader(res, 'oci-chunk-min-length') ?? 0,
    maxChunk: positiveHeader(res, 'oci-chunk-max-length'),
  };
}

/** A size the upload can announce: a non-negative safe integer; anything else means unknown. */
function knownSize(size: number): boolean {
  return Number.isSafeInteger(size) && size >= 0;
}

/** The registry refused a blob in one request (413 or 416): it wants chunks, at most maxChunk when it said. */
class ChunksRequiredError extends Error {
  readonly maxChunk: number | undefined;
  constructor(status: number, maxChunk: number | undefined) {
    super(`the registry refused the blob in one request (HTTP ${status})`);
    this.name = 'ChunksRequiredError';
    this.maxChunk = maxChunk;
  }
}

export class BlobUploader {
  private readonly io: UploadPlumbing;
  private readonly monolithicMax: number;
  private readonly chunkBytes: number;
  /**
   * Registries that refused a blob in one request, with the largest chunk they announced: every
   * later upload to them goes in chunks straight away.
   */
  private readonly chunkedRegistries = new Map<string, number | undefined>();

  constructor(io: UploadPlumbing, options: { monolithicMaxBytes?: number; chunkBytes?: number } = {}) {
    this.io = io;
    this.monolithicMax = options.monolithicMaxBytes ?? Number.POSITIVE_INFINITY;
    this.chunkBytes = options.chunkBytes ?? 16 * 1024 * 1024;
  }

  /**
   * The mount request. 201: mounted. 202: the registry could not mount (unknown blob, or no
   * read access to `from`) and opened an upload session instead, handed back for reuse.
   * 401/403/404 (Harbor answers 401 when the token lacks pull on `from`): not mounted, and the
   * plain upload that follows asks only for the target's scope.
   */
  async tryMount(
    repo: RepositoryRef,
    digest: string,
    from: RepositoryRef,
  ): Promise<{ mounted: boolean; session?: UploadSession }> {
    if (from.registry !== repo.registry || from.repository === repo.repository) return { mounted: false };
    const operation = `mounting blob ${digest} from ${from.repository} into ${repo.registry}/${repo.repository}`;
    const url = this.io.url(
      repo,
      `blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from.repository)}`,
    );
    try {
      return await this.io.call(
        {
          operation,
          repo,
          scopes: [repositoryScope(repo.repository, 'pull,push'), repositoryScope(from.repository, 'pull')],
          action: 'push',
          method: 'POST',
          url,
          headers: { 'content-length': '0' },
        },
        async (res) => {
          const text = await readText(res, 64 * 1024);
          if (res.status === 201) return { mounted: true };
          const session = res.status === 202 ? uploadSession(res, url) : undefined;
          if (session) return { mounted: false, session };
          if (res.status === 401 || res.status === 403 || res.status === 404) {
            this.io.logger?.debug(`${operation}: HTTP ${res.status}, uploading instead`);
            return { mounted: false };
          }
          throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
        },
      );
    } catch (err) {
      if (err instanceof AuthError || (err instanceof RegistryError && (err.status === 401 || err.status === 403))) {
        this.io.logger?.debug(`${operation}: not authorised to mount, uploading instead`);
        return { mounted: false };
      }
      throw err;
    }
  }

  /**
   * Proves push permission without writing anything: opens an upload session (the push scope is
   * asked for and granted or refused) and cancels it. A refusal throws the registry's 401/403.
   */
  async checkPushAccess(repo: RepositoryRef): Promise<void> {
    const { location } = await this.startUpload(`checking push access to ${repo.registry}/${repo.repository}`, repo);
    await this.cancelUpload(repo, location);
  }

  /** Opens an upload session: its absolute Location and the registry's chunk sizes. */
  private async startUpload(operation: string, repo: RepositoryRef): Promise<UploadSession> {
    const url = this.io.url(repo, 'blobs/uploads/');
    return this.io.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull,push')],
        action: 'push',
        method: 'POST',
        url,
        headers: { 'content-length': '0' },
      },
      async (res) => {
        const text = await readText(res, 64 * 1024);
        const session = res.status === 202 ? uploadSession(res, url) : undefined;
        if (!session) throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
        return session;
      },
      { retry: false },
    );
  }

  async cancelUpload(repo: RepositoryRef, location: string): Promise<void> {
    try {
      await this.io.call(
        {
          operation: 'cancelling an upload',
          repo,
          scopes: [repositoryScope(repo.repository, 'pull,push')],
          action: 'push',
          method: 'DELETE',
          url: location,
        },
        (res) => dump(res),
        { retry: false },
      );
    } catch {
      // an abandoned session expires on the registry by itself
    }
  }

  /**
   * Uploads the blob, starting over from a fresh body stream and a fresh session on a retryable
   * failure (a mount's session is used by the first attempt only). One streamed PUT when the
   * size is known and the registry accepts it; PATCH chunks otherwise. A registry that refuses
   * the single request (413/416) is remembered, and the same attempt starts over in chunks.
   */
  async upload(
    operation: string,
    repo: RepositoryRef,
    desc: { digest: string; size: number },
    body: BlobBody,
    session: UploadSession | undefined,
  ): Promise<void> {
    try {
      await this.io.transport.retrying(operation, async (attempt) => {
        let reuse = attempt === 0 ? session : undefined;
        for (;;) {
          const current = reuse ?? (await this.startUpload(operation, repo));
          reuse = undefined;
          const chunkSize = this.chunkSizeFor(repo.registry, desc.size, current);
          let source: Readable | undefined;
          try {
            source = await body();
            if (chunkSize === undefined) await this.putMonolithic(operation, repo, current.location, desc, source);
            else await this.putChunked(operation, repo, current.location, desc, source, chunkSize);
            return;
          } catch (err) {
            source?.destroy();
            await this.cancelUpload(repo, current.location);
            if (!(err instanceof ChunksRequiredError) || chunkSize !== undefined) throw err;
            this.io.logger?.debug(`${operation}: ${err.message}; uploading in chunks from now on`);
            this.chunkedRegistries.set(repo.registry, err.maxChunk ?? current.maxChunk);
          }
        }
      });
    } catch (err) {
      if (err instanceof RetryableStatusError) {
        const { status, headers, text } = err.response;
        throw await this.io.statusError(operation, status, headers, text, { repo, action: 'push', kind: 'blob' }, err);
      }
      throw this.io.wrap(operation, err);
    }
  }

  /**
   * undefined: the blob goes up in one streamed request. Otherwise the PATCH chunk size:
   * chunkBytes, at least the registry's minimum, at most its maximum (announced now or before).
   */
  private chunkSizeFor(registry: string, size: number, session: UploadSession): number | undefined {
    const learned = this.chunkedRegistries.get(registry);
    const maxChunk =
      session.maxChunk !== undefined && learned !== undefined
        ? Math.min(session.maxChunk, learned)
        : (session.maxChunk ?? learned);
    const demanded = this.chunkedRegistries.has(registry) || (maxChunk !== undefined && size > maxChunk);
    if (knownSize(size) && size <= this.monolithicMax && !demanded) return undefined;
    const chunk = Math.max(this.chunkBytes, session.minChunk);
    return maxChunk !== undefined ? Math.max(1, Math.min(chunk, maxChunk)) : chunk;
  }

  /**
   * The body checked against the blob's digest and size while it is sent. A stream from getBlob
   * of the same blob already is such a check: hashing it twice would cost a pass over every byte.
   */
  private verified(source: Readable, desc: { digest: string; size: number }): VerifyingStream {
    const size = knownSize(desc.size) ? desc.size : undefined;
    if (source instanceof VerifyingStream && source.verifies(desc.digest, size)) return source;
    const verifier = new VerifyingStream(desc.digest, {
      size,
      what: `the content given for blob ${desc.digest}`,
    });
    source.on('error', (err) => verifier.destroy(err));
    source.pipe(verifier);
    return verifier;
  }

  private async putMonolithic(
    operation: string,
    repo: RepositoryRef,
    location: string,
    desc: { digest: string; size: number },
    source: Readable,
  ): Promise<void> {
    const url = withQuery(location, 'digest', desc.digest);
    const res = await this.io.exchange({
      operation,
      repo,
      scopes: [repositoryScope(repo.repository, 'pull,push')],
      action: 'push',
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
      body: this.verified(source, desc),
    });
    if (res.status === 413 || res.status === 416) {
      await dump(res);
      throw new ChunksRequiredError(res.status, positiveHeader(res, 'oci-chunk-max-length'));
    }
    await this.finishUpload(operation, repo, res, desc.digest);
  }

  /**
   * PATCH chunks of `chunkSize` bytes (the last one shorter), each at the Location the previous
   * answer gave, then the closing PUT. One chunk is in memory at a time; the size may be unknown.
   */
  private async putChunked(
    operation: string,
    repo: RepositoryRef,
    firstLocation: string,
    desc: { digest: string; size: number },
    source: Readable,
    chunkSize: number,
  ): Promise<void> {
    const scopes = [repositoryScope(repo.repository, 'pull,push')];
    let location = firstLocation;
    let offset = 0;
    // A PATCH answered 413 (a body limit in front of the registry) is sent again in halves; the
    // smaller size then holds for the rest of this blob and for later uploads to the registry.
    let limit = chunkSize;
    const sendPiece = async (piece: Buffer): Promise<boolean> => {
      const res = await this.io.exchange({
        operation,
        repo,
        scopes,
        action: 'push',
        method: 'PATCH',
        url: location,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${offset}-${offset + piece.length - 1}`,
          'content-length': String(piece.length),
        },
        body: piece,
      });
      if (res.status === 413 && piece.length > MIN_CHUNK_BYTES) {
        await dump(res);
        return false;
      }
      await this.io.transport.throwIfRetryable(res);
      const text = await readText(res, 64 * 1024);
      const next = header(res.headers, 'location');
      if (res.status !== 202 || !next) throw await this.io.responseError(operation, res, repo, 'push', 'blob', text);
      location = new URL(next, location).toString();
      offset += piece.length;
      return true;
    };
    const send = async (chunk: Buffer): Promise<void> => {
      for (let start = 0; start < chunk.length; ) {
        const piece = chunk.subarray(start, start + limit);
        if (await sendPiece(piece)) {
          start += piece.length;
          continue;
        }
        limit = Math.max(MIN_CHUNK_BYTES, Math.floor(piece.length / 2));
        this.chunkedRegistries.set(repo.registry, Math.min(limit, this.chunkedRegistries.get(repo.registry) ?? limit));
        this.io.logger?.debug(
          `${operation}: a ${piece.length}-byte chunk was refused (HTTP 413); sending ${limit}-byte chunks`,
        );
      }
    };
    // One buffer, refilled for every chunk: a PATCH is answered only after its body was read.
    const buffer = Buffer.allocUnsafe(chunkSize);
    let filled = 0;
    for await (const piece of this.verified(source, desc)) {
      let data = piece as Buffer;
      while (data.length > 0) {
        const n = data.copy(buffer, filled);
        filled += n;
        data = data.subarray(n);
        if (filled === chunkSize) {
          await send(buffer);
          filled = 0;
        }
      }
    }
    if (filled > 0) await send(buffer.subarray(0, filled));
    const res = await this.io.exchange({
      operation,
      repo,
      scopes,
      action: 'push',
      method: 'PUT',
      url: withQuery(location, 'digest', desc.digest),
      headers: { 'content-length': '0' },
    });
    await this.finishUpload(operation, repo, res, desc.digest);
  }

  private async finishUpload(operation: string, repo: RepositoryRef, res: HttpResponse, digest: string): Promise<void> {
    await this.io.transport.throwIfRetryable(res);
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
      throw await this.io.responseError(operation, res, repo, 'push', 'blob');
    }
    await dump(res);
    const stored = header(res.headers, 'docker-content-digest');
    if (stored && isDigest(stored) && stored !== digest) {
      throw new DigestMismatchError(digest, stored, 'the blob as the registry stored it');
    }
  }
}
