// The registry client (OCI distribution API v2) every action that touches a registry stands on:
// manifests byte-exact and digest-verified, blobs streamed both ways with bounded memory,
// cross-repository mounts, tag listing, the referrers API. Auth (anonymous, basic, bearer
// challenge) and retries live in auth.ts and transport.ts, the upload path (sessions, chunks,
// the 413 fallback) in blob-upload.ts; this file speaks the API.
import { Readable } from 'node:stream';
import { Authenticator, AuthError, repositoryScope } from './auth.js';
import { type CredentialProvider, dockerConfigCredentials } from './credentials.js';
import { DigestMismatchError, digestAlgorithm, digestOf, VerifyingStream } from './digest.js';
import { isContentType, isMediaType, type Platform, quoteForeign } from './grammar.js';
import { bareMediaType, MANIFEST_ACCEPT, MediaType } from './media-types.js';
import { BlobUploader, type UploadSession } from './blob-upload.js';
import { indexManifests, toDescriptor } from './descriptor.js';
import { digestProblem, isDigest, isValidTag, registryApiHost } from './reference.js';
import {
  describeNetworkError,
  discardResponse,
  type HttpRequest,
  type HttpResponse,
  header,
  isRetryableNetworkError,
  parseLinkNext,
  RegistryError,
  RetryableStatusError,
  readText,
  Transport,
} from './transport.js';

export { RegistryError };

export interface RepositoryRef {
  registry: string;
  repository: string;
}

export interface ManifestResult {
  /** verified against the bytes */
  digest: string;
  /** from the body's mediaType or Content-Type */
  mediaType: string;
  /** byte-exact body */
  bytes: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: parsed manifest JSON of any manifest kind
  json: any;
}

export type { Platform };

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
}

export type BlobTransfer = 'mounted' | 'existed' | 'uploaded';

export type BlobBody = () => Promise<Readable> | Readable;

export interface RegistryClientOptions {
  /** default: the docker config (DOCKER_CONFIG or ~/.docker/config.json, helpers included) */
  credentials?: CredentialProvider;
  retry?: { retries?: number; minDelayMs?: number; maxDelayMs?: number };
  logger?: { debug(msg: string): void; info?(msg: string): void; warning?(msg: string): void };
  /** called for every secret the client holds: passwords from providers, tokens it obtains */
  maskSecret?: (secret: string) => void;
  /** default: localhost / 127.0.0.0/8 / [::1] hosts use http */
  plainHttp?: (registry: string) => boolean;
  userAgent?: string;
  /**
   * blobs of known size up to this go up in one streamed PUT (default: any size); larger ones,
   * blobs of unknown size and blobs for a registry that demands chunks go in PATCH chunks
   */
  monolithicMaxBytes?: number;
  /**
   * PATCH chunk size when chunks are needed, raised to the registry's OCI-Chunk-Min-Length and
   * cut to its OCI-Chunk-Max-Length (default 16 MiB)
   */
  chunkBytes?: number;
  /** environment for HTTPS_PROXY/HTTP_PROXY/NO_PROXY (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

export type RegistryAction = 'pull' | 'push' | 'delete';
type Action = RegistryAction;

// Descriptors are parsed (and held to their grammar) in descriptor.ts, which other modules
// import without loading the client.
export { indexManifests, toDescriptor };

/** `os/architecture[/variant]`, as docker and buildx write platforms. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

export interface CallSpec {
  operation: string;
  repo: RepositoryRef;
  /** token scopes the request needs */
  scopes: string[];
  /** what the request does, for permission errors */
  action: Action;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** follow 3xx (GET/HEAD of blobs and manifests), dropping Authorization on another origin */
  followRedirects?: boolean;
  /** gives the call up, the request in flight included */
  signal?: AbortSignal;
}

/** Bounds for a tag listing: where it stops, and when it is given up. */
export interface ListTagsOptions {
  /** aborts the listing, the page in flight included */
  signal?: AbortSignal;
  /** more pages than this is an error (default 10,000) */
  maxPages?: number;
  /** more tags than this is an error (default: no limit but maxPages) */
  maxTags?: number;
}

/** OCI recommends registries accept manifests up to 4 MiB; twice that is read before giving up. */
const MANIFEST_MAX_BYTES = 8 * 1024 * 1024;
const TAG_LIST_MAX_BYTES = 64 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
const MAX_PAGES = 10_000;
const TAGS_PAGE = 1000;

function loopbackHost(registry: string): boolean {
  const host = registry
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The first error of an OCI error body (`{"errors":[{"code","message"}]}`), when there is one. */
export function parseOciError(text: string): { code?: string; message?: string } {
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = Array.isArray(body?.errors) ? body.errors[0] : undefined;
    if (!first) return {};
    return {
      code: typeof first.code === 'string' ? first.code : undefined,
      message: typeof first.message === 'string' ? first.message.slice(0, 300) : undefined,
    };
  } catch {
    return {};
  }
}

function contentLength(res: HttpResponse): number | undefined {
  const v = header(res.headers, 'content-length');
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

const dump = discardResponse;

async function readBody(res: HttpResponse, max: number, what: string): Promise<Buffer> {
  const declared = contentLength(res);
  if (declared !== undefined && declared > max) {
    res.body.destroy();
    throw new Error(`${what} is ${declared} bytes, more than the ${max} bytes accepted`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      res.body.destroy();
      throw new Error(`${what} is more than the ${max} bytes accepted`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: Authenticator;
  private readonly plainHttp: (registry: string) => boolean;
  private readonly logger?: RegistryClientOptions['logger'];
  private readonly uploads: BlobUploader;

  constructor(options: RegistryClientOptions = {}) {
    this.logger = options.logger;
    this.transport = new Transport({
      retry: options.retry,
      userAgent: options.userAgent,
      env: options.env,
      logger: options.logger,
    });
    this.auth = new Authenticator({
      transport: this.transport,
      credentials: options.credentials ?? dockerConfigCredentials({ env: options.env }),
      maskSecret: options.maskSecret,
      logger: options.logger,
      registryOrigin: (registry) => this.baseUrl(registry),
    });
    this.plainHttp = options.plainHttp ?? loopbackHost;
    this.uploads = new BlobUploader(
      {
        transport: this.transport,
        logger: options.logger,
        url: (repo, path) => this.url(repo, path),
        exchange: (spec) => this.exchange(spec),
        call: (spec, handle, callOptions) => this.call(spec, handle, callOptions),
        responseError: (...args) => this.responseError(...args),
        statusError: (...args) => this.statusError(...args),
        wrap: (operation, err) => this.wrap(operation, err),
      },
      { monolithicMaxBytes: options.monolithicMaxBytes, chunkBytes: options.chunkBytes },
    );
  }

  /** total HTTP requests made, token requests included */
  requestCount(): number {
    return this.transport.requestCount();
  }

  /** closes kept-alive connections */
  close(): Promise<void> {
    return this.transport.close();
  }

  // ---- manifests ----

  async getManifest(repo: RepositoryRef, reference: string): Promise<ManifestResult> {
    const operation = `getting manifest ${this.refText(repo, reference)}`;
    this.checkReference(operation, reference);
    return this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull')],
        action: 'pull',
        method: 'GET',
        url: this.url(repo, `manifests/${reference}`),
        headers: { accept: MANIFEST_ACCEPT },
        followRedirects: true,
      },
      async (res) => {
        if (res.status !== 200) throw await this.responseError(operation, res, repo, 'pull', 'manifest');
        const bytes = await readBody(res, MANIFEST_MAX_BYTES, 'the manifest');
        const headerDigest = header(res.headers, 'docker-content-digest');
        let digest: string;
        if (isDigest(reference)) {
          digest = digestOf(bytes, digestAlgorithm(reference));
          if (digest !== reference) throw new DigestMismatchError(reference, digest, 'the manifest the registry sent');
        } else {
          const algorithm = headerDigest && isDigest(headerDigest) ? digestAlgorithm(headerDigest) : 'sha256';
          digest = digestOf(bytes, algorithm);
          if (headerDigest && isDigest(headerDigest) && headerDigest !== digest) {
            throw new DigestMismatchError(
              headerDigest,
              digest,
              'the manifest the registry sent (Docker-Content-Digest)',
            );
          }
        }
        let json: unknown;
        try {
          json = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new RegistryError(operation, 'the registry sent a manifest that is not JSON');
        }
        const bodyType = (json as { mediaType?: unknown })?.mediaType;
        const contentType = header(res.headers, 'content-type');
        const mediaType =
          typeof bodyType === 'string' && bodyType !== ''
            ? bodyType
            : contentType && isContentType(contentType)
              ? bareMediaType(contentType)
              : MediaType.OciManifest;
        if (!isMediaType(mediaType)) {
          throw new RegistryError(operation, `the manifest's mediaType ${quoteForeign(mediaType)} is not a media type`);
        }
        return { digest, mediaType, bytes, json };
      },
    );
  }

  /** null on 404 */
  async headManifest(repo: RepositoryRef, reference: string): Promise<Descriptor | null> {
    const operation = `checking manifest ${this.refText(repo, reference)}`;
    this.checkReference(operation, reference);
    const found = await this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull')],
        action: 'pull',
        method: 'HEAD',
        url: this.url(repo, `manifests/${reference}`),
        headers: { accept: MANIFEST_ACCEPT },
        followRedirects: true,
      },
      async (res) => {
        await dump(res);
        if (res.status === 404) return null;
        if (res.status !== 200) throw await this.responseError(operation, res, repo, 'pull', 'manifest');
        const headerDigest = header(res.headers, 'docker-content-digest');
        const size = contentLength(res);
        const mediaType = header(res.headers, 'content-type');
        if (!headerDigest || !isDigest(headerDigest) || size === undefined || !mediaType) return undefined;
        if (!isContentType(mediaType)) return undefined;
        if (isDigest(reference) && headerDigest !== reference) return undefined;
        return { mediaType: bareMediaType(mediaType), digest: headerDigest, size } satisfies Descriptor;
      },
    );
    if (found !== undefined) return found;
    // The registry left out what a HEAD should say: read the manifest to know it for sure.
    const full = await this.getManifest(repo, reference);
    return { mediaType: full.mediaType, digest: full.digest, size: full.bytes.length };
  }

  async putManifest(
    repo: RepositoryRef,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<{ digest: string; subjectProcessed: boolean }> {
    const operation = `pushing manifest ${this.refText(repo, reference)}`;
    this.checkReference(operation, reference);
    const digest = isDigest(reference) ? digestOf(bytes, digestAlgorithm(reference)) : digestOf(bytes);
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError(operation, `the manifest bytes have digest ${digest}, not ${reference}`);
    }
    return this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull,push')],
        action: 'push',
        method: 'PUT',
        url: this.url(repo, `manifests/${reference}`),
        headers: { 'content-type': mediaType },
        body: bytes,
      },
      async (res) => {
        const text = await readText(res, 64 * 1024);
        if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
          throw await this.responseError(operation, res, repo, 'push', 'manifest', text);
        }
        const answered = header(res.headers, 'docker-content-digest');
        if (
          answered &&
          isDigest(answered) &&
          digestAlgorithm(answered) === digestAlgorithm(digest) &&
          answered !== digest
        ) {
          throw new DigestMismatchError(digest, answered, 'the manifest as the registry stored it');
        }
        return { digest, subjectProcessed: header(res.headers, 'oci-subject') !== undefined };
      },
    );
  }

  /** Deletes a manifest by digest; one that is already gone counts as deleted. */
  async deleteManifest(repo: RepositoryRef, digest: string): Promise<void> {
    const operation = `deleting manifest ${this.refText(repo, digest)}`;
    this.checkDigest(operation, digest);
    await this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'delete')],
        action: 'delete',
        method: 'DELETE',
        url: this.url(repo, `manifests/${digest}`),
      },
      async (res) => {
        const text = await readText(res, 64 * 1024);
        if (res.status === 202 || res.status === 200 || res.status === 204) return;
        if (res.status === 404 && parseOciError(text).code === 'MANIFEST_UNKNOWN') {
          this.logger?.debug(`${operation}: already gone`);
          return;
        }
        throw await this.responseError(operation, res, repo, 'delete', 'manifest', text);
      },
    );
  }

  /** false when the registry cannot untag (400/405 on distribution, Docker Hub, ghcr) */
  async deleteTag(repo: RepositoryRef, tag: string): Promise<boolean> {
    const operation = `deleting tag ${this.refText(repo, tag)}`;
    if (!isValidTag(tag)) throw new RegistryError(operation, `'${tag}' is not a valid tag`);
    return this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'delete')],
        action: 'delete',
        method: 'DELETE',
        url: this.url(repo, `manifests/${tag}`),
      },
      async (res) => {
        const text = await readText(res, 64 * 1024);
        if (res.status === 202 || res.status === 200 || res.status === 204) return true;
        const code = parseOciError(text).code;
        if (res.status === 400 || res.status === 405 || res.status === 501 || code === 'UNSUPPORTED') return false;
        throw await this.responseError(operation, res, repo, 'delete', 'manifest', text);
      },
    );
  }

  // ---- tags ----

  /**
   * All pages, sorted; [] for a repository the registry does not know. A listing longer than
   * the bounds is an error, never a silent partial list; an abort stops it at once.
   */
  async listTags(repo: RepositoryRef, options: ListTagsOptions = {}): Promise<string[]> {
    const operation = `listing tags of ${repo.registry}/${repo.repository}`;
    const maxPages = options.maxPages ?? MAX_PAGES;
    const maxTags = options.maxTags ?? Number.POSITIVE_INFINITY;
    const { signal } = options;
    const tags = new Set<string>();
    const seen = new Set<string>();
    let url: string | undefined = this.url(repo, `tags/list?n=${TAGS_PAGE}`);
    while (url && !seen.has(url)) {
      if (signal?.aborted)
        throw new RegistryError(operation, `given up after ${seen.size} page(s)`, { cause: signal.reason });
      if (seen.size >= maxPages) {
        throw new RegistryError(
          operation,
          `the registry kept sending pages: stopped after ${maxPages} (${tags.size} tags)`,
        );
      }
      seen.add(url);
      const pageUrl: string = url;
      const page = await this.call(
        {
          operation,
          repo,
          scopes: [repositoryScope(repo.repository, 'pull')],
          action: 'pull',
          method: 'GET',
          url: pageUrl,
          headers: { accept: 'application/json' },
          followRedirects: true,
          signal,
        },
        async (res) => {
          if (res.status === 404) {
            const text = await readText(res, 64 * 1024);
            const code = parseOciError(text).code;
            // A repository the registry does not know has no tags; a page after the first that is
            // missing means the listing is incomplete, never that the remaining tags are gone.
            if (seen.size > 1) {
              throw new RegistryError(
                operation,
                `page ${seen.size} of the tag list answered 404${code ? ` (${code})` : ''}: the listing is incomplete`,
                { status: 404, ...(code ? { code } : {}) },
              );
            }
            if (code === 'NAME_UNKNOWN' || code === undefined) return null;
            throw await this.responseError(operation, res, repo, 'pull', 'repository', text);
          }
          if (res.status !== 200) throw await this.responseError(operation, res, repo, 'pull', 'repository');
          const body = await readBody(res, TAG_LIST_MAX_BYTES, 'the tag list');
          let json: { tags?: unknown };
          try {
            json = JSON.parse(body.toString('utf8'));
          } catch {
            throw new RegistryError(operation, 'the registry sent a tag list that is not JSON');
          }
          // distribution answers `"tags": null` once every tag of a repository is gone
          const list = Array.isArray(json?.tags) ? json.tags.filter((t): t is string => typeof t === 'string') : [];
          return { list, next: parseLinkNext(res.headers.link, res.url) };
        },
      );
      if (!page) break;
      const before = tags.size;
      for (const t of page.list) tags.add(t);
      if (tags.size > maxTags) {
        throw new RegistryError(operation, `the repository has more than ${maxTags} tags: stopped reading`);
      }
      url = page.next;
      // A registry that honours `n` but sends no Link: a full page means asking on from its last tag.
      if (!url && page.list.length >= TAGS_PAGE && tags.size > before) {
        url = this.url(repo, `tags/list?n=${TAGS_PAGE}&last=${encodeURIComponent(page.list.at(-1) as string)}`);
      }
    }
    return [...tags].sort();
  }

  // ---- blobs ----

  async headBlob(repo: RepositoryRef, digest: string): Promise<{ size: number } | null> {
    const operation = `checking blob ${this.refText(repo, digest)}`;
    this.checkDigest(operation, digest);
    return this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull')],
        action: 'pull',
        method: 'HEAD',
        url: this.url(repo, `blobs/${digest}`),
        followRedirects: true,
      },
      async (res) => {
        await dump(res);
        if (res.status === 404) return null;
        if (res.status !== 200) throw await this.responseError(operation, res, repo, 'pull', 'blob');
        return { size: contentLength(res) ?? -1 };
      },
    );
  }

  /**
   * Streams a blob. Redirects are followed without Authorization on other hosts. A connection
   * cut mid-way is resumed with a Range request; the stream fails (never ends cleanly) when the
   * content does not match the digest.
   */
  async getBlob(repo: RepositoryRef, digest: string): Promise<Readable> {
    const operation = `getting blob ${this.refText(repo, digest)}`;
    this.checkDigest(operation, digest);
    const first = await this.openBlob(operation, repo, digest, 0);
    const size = contentLength(first.res);
    const retries = this.transport.retry;
    const self = this;
    async function* content(): AsyncGenerator<Buffer> {
      let current = first;
      let received = 0;
      for (let failures = 0; ; ) {
        try {
          let skip = current.skip;
          for await (const chunk of current.res.body) {
            let b = chunk as Buffer;
            if (skip > 0) {
              const n = Math.min(skip, b.length);
              skip -= n;
              b = b.subarray(n);
              if (b.length === 0) continue;
            }
            received += b.length;
            yield b;
          }
          return;
        } catch (err) {
          if (!isRetryableNetworkError(err) || failures >= retries.retries) {
            throw new RegistryError(
              operation,
              `the download broke off after ${received} bytes: ${describeNetworkError(err)}`,
              {
                cause: err,
              },
            );
          }
          failures++;
          self.logger?.debug(`${operation}: cut off after ${received} bytes (${describeNetworkError(err)}); resuming`);
          await sleep(Math.min(retries.maxDelayMs, retries.minDelayMs * 2 ** (failures - 1)));
          current = await self.openBlob(operation, repo, digest, received);
        }
      }
    }
    const source = Readable.from(content(), { objectMode: false });
    const verifier = new VerifyingStream(digest, { size, what: `blob ${digest}` });
    source.on('error', (err) => verifier.destroy(err));
    verifier.on('close', () => {
      if (!source.destroyed) source.destroy();
    });
    source.pipe(verifier);
    return verifier;
  }

  /** GET of a blob from `offset` on; `skip` is what to drop when the registry ignored the Range. */
  private async openBlob(
    operation: string,
    repo: RepositoryRef,
    digest: string,
    offset: number,
  ): Promise<{ res: HttpResponse; skip: number }> {
    return this.call(
      {
        operation,
        repo,
        scopes: [repositoryScope(repo.repository, 'pull')],
        action: 'pull',
        method: 'GET',
        url: this.url(repo, `blobs/${digest}`),
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        followRedirects: true,
      },
      async (res) => {
        if (offset > 0 && res.status === 206) return { res, skip: 0 };
        if (res.status === 200) return { res, skip: offset };
        throw await this.responseError(operation, res, repo, 'pull', 'blob');
      },
    );
  }

  /** A small blob (a config, an SBOM) in memory, verified; larger than `maxBytes` is an error. */
  async getBlobBytes(repo: RepositoryRef, digest: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer> {
    const operation = `getting blob ${this.refText(repo, digest)}`;
    const stream = await this.getBlob(repo, digest);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          stream.destroy();
          throw new RegistryError(operation, `the blob is larger than the ${maxBytes} bytes accepted here`);
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      throw this.wrap(operation, err);
    }
    return Buffer.concat(chunks);
  }

  /**
   * HEAD first ('existed'), then a mount from `options.mountFrom` when given ('mounted'), else
   * an upload: the whole blob streamed in one PUT when its size is known (`size` -1 means
   * unknown), PATCH chunks when the registry demands them (OCI-Chunk-Max-Length, a 413 or 416
   * answer to the single request) or the size is unknown. Memory stays bounded either way. The
   * body factory is called again whenever an upload has to start over.
   */
  async pushBlob(
    repo: RepositoryRef,
    desc: { digest: string; size: number },
    body: BlobBody,
    options: { mountFrom?: RepositoryRef } = {},
  ): Promise<BlobTransfer> {
    const operation = `pushing blob ${desc.digest} to ${repo.registry}/${repo.repository}`;
    this.checkDigest(operation, desc.digest);
    if (await this.headBlob(repo, desc.digest)) return 'existed';
    let session: UploadSession | undefined;
    if (options.mountFrom) {
      const mount = await this.uploads.tryMount(repo, desc.digest, options.mountFrom);
      if (mount.mounted) return 'mounted';
      session = mount.session;
    }
    await this.uploads.upload(operation, repo, desc, body, session);
    return 'uploaded';
  }

  async pushBlobBytes(
    repo: RepositoryRef,
    bytes: Buffer,
  ): Promise<{ digest: string; size: number; transfer: BlobTransfer }> {
    const digest = digestOf(bytes);
    const transfer = await this.pushBlob(repo, { digest, size: bytes.length }, () => Readable.from([bytes]));
    return { digest, size: bytes.length, transfer };
  }

  /** true when mounted (201); false when the registry opened an upload session (cancelled) or refused */
  async mountBlob(repo: RepositoryRef, digest: string, from: RepositoryRef): Promise<boolean> {
    this.checkDigest(`mounting blob ${digest} into ${repo.registry}/${repo.repository}`, digest);
    const mount = await this.uploads.tryMount(repo, digest, from);
    if (mount.session) await this.uploads.cancelUpload(repo, mount.session.location);
    return mount.mounted;
  }

  /**
   * Proves push permission without writing anything: opens an upload session (the push scope is
   * asked for and granted or refused) and cancels it. A refusal throws the registry's 401/403.
   */
  checkPushAccess(repo: RepositoryRef): Promise<void> {
    return this.uploads.checkPushAccess(repo);
  }

  // ---- referrers ----

  /** null when the API is unsupported (404 etc.); pagination via Link */
  async referrersApi(repo: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[] | null> {
    const operation = `listing referrers of ${this.refText(repo, digest)}`;
    this.checkDigest(operation, digest);
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    let url: string | undefined = this.url(repo, `referrers/${digest}${query}`);
    const seen = new Set<string>();
    const found: Descriptor[] = [];
    let filtered = true;
    while (url && !seen.has(url) && seen.size < MAX_PAGES) {
      seen.add(url);
      const pageUrl: string = url;
      const page = await this.call(
        {
          operation,
          repo,
          scopes: [repositoryScope(repo.repository, 'pull')],
          action: 'pull',
          method: 'GET',
          url: pageUrl,
          headers: { accept: MediaType.OciIndex },
          followRedirects: true,
        },
        async (res) => {
          if ([400, 404, 405, 406, 501].includes(res.status)) {
            await dump(res);
            return null;
          }
          if (res.status !== 200) throw await this.responseError(operation, res, repo, 'pull', 'manifest');
          const body = await readBody(res, MANIFEST_MAX_BYTES, 'the referrers index');
          let json: { manifests?: unknown };
          try {
            json = JSON.parse(body.toString('utf8'));
          } catch {
            return null;
          }
          if (!Array.isArray(json?.manifests)) return null;
          const applied = (header(res.headers, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim());
          return {
            manifests: json.manifests.map(toDescriptor).filter((d): d is Descriptor => d !== undefined),
            applied: applied.includes('artifactType'),
            next: parseLinkNext(res.headers.link, res.url),
          };
        },
      );
      if (!page) {
        if (seen.size === 1) return null;
        break;
      }
      found.push(...page.manifests);
      filtered &&= page.applied;
      url = page.next;
    }
    return artifactType && !filtered ? found.filter((d) => d.artifactType === artifactType) : found;
  }

  // ---- plumbing ----

  private baseUrl(registry: string): string {
    return `${this.plainHttp(registry) ? 'http' : 'https'}://${registryApiHost(registry)}`;
  }

  private url(repo: RepositoryRef, path: string): string {
    return `${this.baseUrl(repo.registry)}/v2/${repo.repository}/${path}`;
  }

  private refText(repo: RepositoryRef, reference: string): string {
    return `${repo.registry}/${repo.repository}${isDigest(reference) || reference.includes(':') ? '@' : ':'}${reference}`;
  }

  private checkReference(operation: string, reference: string): void {
    if (reference.includes(':')) this.checkDigest(operation, reference);
    else if (!isValidTag(reference)) throw new RegistryError(operation, `'${reference}' is neither a tag nor a digest`);
  }

  private checkDigest(operation: string, digest: string): void {
    const problem = digestProblem(digest);
    if (problem) throw new RegistryError(operation, problem);
  }

  /**
   * One request with the auth handshake: the known Authorization (cached token or basic) goes
   * along; a 401 is answered once with the challenge's credentials. Redirects of GET/HEAD are
   * followed here, and Authorization only goes to the registry's own origin.
   */
  private async exchange(spec: CallSpec): Promise<HttpResponse> {
    const registry = spec.repo.registry;
    const origin = new URL(this.baseUrl(registry)).origin;
    const send = (url: string, authorization: string | undefined, body?: CallSpec['body']): Promise<HttpResponse> => {
      const headers: Record<string, string> = { ...(spec.headers ?? {}) };
      if (authorization && new URL(url).origin === origin) headers.authorization = authorization;
      return this.transport.send({
        method: spec.method,
        url,
        headers,
        body,
        signal: spec.signal,
      } satisfies HttpRequest);
    };
    let authorization = await this.auth.authorize(registry, spec.scopes);
    let res = await send(spec.url, authorization, spec.body);
    if (res.status === 401) {
      const challenge = res.headers['www-authenticate'];
      await dump(res);
      if (spec.body instanceof Readable) {
        // A stream is spent: the upload starts over (the token cache now knows the challenge).
        throw new RetryableStatusError(401, res.headers, '', undefined);
      }
      authorization = await this.auth.challenge(registry, challenge, spec.scopes, authorization, spec.url);
      res = await send(spec.url, authorization, spec.body);
    } else if (!authorization && res.status < 400) {
      this.auth.markAnonymous(registry);
    }
    let url = spec.url;
    for (let hops = 0; spec.followRedirects && REDIRECT_STATUSES.has(res.status); hops++) {
      const location = header(res.headers, 'location');
      if (!location || hops >= MAX_REDIRECTS) break;
      await dump(res);
      const next = new URL(location, url);
      // The redirect target (often a presigned storage URL) is not logged: its query is a credential.
      this.logger?.debug(`${spec.operation}: redirected to ${next.host}`);
      url = next.toString();
      res = await send(url, authorization);
    }
    // Path only: upload Locations carry session state and storage URLs carry signatures.
    const where = new URL(url);
    this.logger?.debug(
      `${spec.method} ${where.origin === origin ? where.pathname : `${where.host} (redirect target)`}: HTTP ${res.status}`,
    );
    return res;
  }

  /** exchange + retries + error mapping; `handle` reads the response (and may throw). */
  private async call<T>(
    spec: CallSpec,
    handle: (res: HttpResponse) => Promise<T>,
    options: { retry?: boolean } = {},
  ): Promise<T> {
    const once = async (): Promise<T> => {
      const res = await this.exchange(spec);
      await this.transport.throwIfRetryable(res);
      return handle(res);
    };
    try {
      return options.retry === false ? await once() : await this.transport.retrying(spec.operation, once);
    } catch (err) {
      if (err instanceof RetryableStatusError) {
        const kind = /\/blobs\//.test(spec.url) ? 'blob' : /\/manifests\//.test(spec.url) ? 'manifest' : 'repository';
        throw await this.statusError(
          spec.operation,
          err.response.status,
          err.response.headers,
          err.response.text,
          { repo: spec.repo, action: spec.action, kind },
          err,
        );
      }
      throw this.wrap(spec.operation, err);
    }
  }

  /** Any error as a RegistryError for this operation, with every known secret scrubbed. */
  private wrap(operation: string, err: unknown): Error {
    if (err instanceof RegistryError) {
      if (err instanceof AuthError || err.operation !== operation) {
        return new RegistryError(operation, this.redact(err.message), {
          status: err.status,
          code: err.code,
          cause: err,
        });
      }
      return err;
    }
    if (err instanceof RetryableStatusError) {
      return new RegistryError(operation, `the registry answered HTTP ${err.status}`, {
        status: err.status,
        cause: err,
      });
    }
    if (err instanceof DigestMismatchError || (err instanceof Error && err.name === 'SizeMismatchError')) {
      return new RegistryError(operation, (err as Error).message, { cause: err });
    }
    if (isRetryableNetworkError(err)) {
      return new RegistryError(operation, `connection failed: ${this.redact(describeNetworkError(err))}`, {
        cause: err,
      });
    }
    if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)) {
      return new RegistryError(operation, this.redact(err.message), { cause: err });
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.auth.secrets) if (secret.length >= 4) out = out.split(secret).join('***');
    return out;
  }

  private async responseError(
    operation: string,
    res: HttpResponse,
    repo: RepositoryRef,
    action: Action,
    kind: 'manifest' | 'blob' | 'repository',
    text?: string,
  ): Promise<RegistryError> {
    const body = text ?? (await readText(res, 64 * 1024));
    return this.statusError(operation, res.status, res.headers, body, { repo, action, kind });
  }

  private async statusError(
    operation: string,
    status: number,
    headers: HttpResponse['headers'],
    text: string,
    context: { repo: RepositoryRef; action: Action; kind?: 'manifest' | 'blob' | 'repository' },
    cause?: unknown,
  ): Promise<RegistryError> {
    const { code, message } = parseOciError(text);
    const { registry, repository } = context.repo;
    const name = `${registry}/${repository}`;
    const kind = context.kind ?? 'manifest';
    const credentialed = await this.auth.hasCredential(registry).catch(() => false);
    let explanation: string;
    switch (status) {
      case 401:
        if (!credentialed) {
          explanation = `authentication required: no credentials were found for ${registry} (log in with registry-login or docker login, or pass credentials)`;
        } else if (this.auth.scheme(registry) === 'bearer') {
          explanation = `denied: the credentials lack ${context.action} permission on ${name}`;
        } else {
          explanation = `authentication failed for ${registry}: check the username/password`;
        }
        break;
      case 403:
        explanation = credentialed
          ? `denied: the credentials lack ${context.action} permission on ${name}`
          : `denied: anonymous ${context.action} is not allowed on ${name}`;
        break;
      case 404:
        explanation =
          code === 'NAME_UNKNOWN'
            ? `repository ${name} not found`
            : code === 'BLOB_UNKNOWN' || kind === 'blob'
              ? 'blob unknown'
              : code === 'MANIFEST_UNKNOWN' || kind === 'manifest'
                ? 'manifest unknown'
                : 'not found';
        break;
      case 429:
        explanation = 'too many requests: the registry kept throttling';
        break;
      default:
        explanation = status >= 500 ? `the registry failed (HTTP ${status})` : `the registry refused the request`;
    }
    const answered = [`HTTP ${status}`, code, message ? `${message}` : undefined].filter(Boolean).join(' ');
    const www = headers['www-authenticate'];
    const scopeHint =
      status === 401 && typeof www === 'string' && /insufficient_scope/.test(www) ? ', insufficient scope' : '';
    return new RegistryError(operation, this.redact(`${explanation} (${answered}${scopeHint})`), {
      status,
      code,
      cause,
    });
  }
}
