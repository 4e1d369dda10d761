// The Trivy databases are OCI artifacts (one gzip'd tar layer each). They are fetched here with
// the project's own registry client (credentials from the docker config, retries with
// Retry-After), trying each mirror in turn: a mirror that throttles (429) or fails (5xx, network)
// hands over to the next, so one rate-limited registry does not break the scan. The layer is
// unpacked into <cache dir>/db or <cache dir>/java-db, where `trivy --skip-db-update
// --skip-java-db-update --cache-dir` reads it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError, OperationError } from '../errors.js';
import type { Descriptor, RegistryClient } from '../oci/client.js';
import { isDigest, parseReference, type Reference } from '../oci/reference.js';
import { isRetryableNetworkError, RegistryError } from '../oci/transport.js';
import { extractTarGz } from './tar.js';

export const DB_LAYER_MEDIA_TYPE = 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip';
export const JAVA_DB_LAYER_MEDIA_TYPE = 'application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip';

export interface DbKind {
  /** folder under the cache dir */
  folder: 'db' | 'java-db';
  mediaType: string;
  /** the files the layer holds that Trivy needs */
  files: readonly string[];
  label: string;
}

export const TRIVY_DB: DbKind = {
  folder: 'db',
  mediaType: DB_LAYER_MEDIA_TYPE,
  files: ['trivy.db', 'metadata.json'],
  label: 'vulnerability database',
};
export const TRIVY_JAVA_DB: DbKind = {
  folder: 'java-db',
  mediaType: JAVA_DB_LAYER_MEDIA_TYPE,
  files: ['trivy-java.db', 'metadata.json'],
  label: 'Java database',
};

/** Written beside the unpacked files: which manifest they came from. */
const DIGEST_MARKER = 'oci-manifest-digest';

export function parseDbRepositories(list: readonly string[], input: string): Reference[] {
  if (list.length === 0)
    throw new ConfigurationError(
      'is empty (expected one or more repositories such as ghcr.io/aquasecurity/trivy-db:2)',
      input,
    );
  return list.map((text) => parseReference(text, { input, defaultTag: true }));
}

export interface ResolvedDb {
  source: Reference;
  /** manifest digest: the cache key and the `db-digest` output */
  digest: string;
  layer: Descriptor;
}

/** Whether a failure should hand over to the next mirror. */
export function shouldFallThrough(err: unknown): boolean {
  if (err instanceof RegistryError && err.status !== undefined) return err.status === 429 || err.status >= 500;
  return isRetryableNetworkError(err) || (err instanceof RegistryError && err.status === undefined);
}

function refText(r: Reference): string {
  return `${r.registry}/${r.repository}${r.digest ? `@${r.digest}` : `:${r.tag}`}`;
}

/**
 * Runs `attempt` against each mirror in turn until one succeeds; a mirror is left for the next
 * only on throttling or server/network failures. Other errors (401, 403, 404) stop at once.
 */
export async function withMirrors<T>(
  sources: readonly Reference[],
  what: string,
  attempt: (source: Reference, last: boolean) => Promise<T>,
  logger?: { warning(msg: string): void },
): Promise<T> {
  const failures: string[] = [];
  for (const [i, source] of sources.entries()) {
    try {
      return await attempt(source, i === sources.length - 1);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      if (!shouldFallThrough(err)) throw err;
      failures.push(`${refText(source)}: ${why}`);
      if (i < sources.length - 1)
        logger?.warning(`${what}: ${refText(source)} failed (${why}); trying ${refText(sources[i + 1] as Reference)}`);
    }
  }
  throw new OperationError(`fetching the Trivy ${what}`, `every mirror failed: ${failures.join('; ')}`);
}

/**
 * The registry clients for the mirrors: `last` retries as long as any registry call does;
 * `early` (for mirrors with another one behind them) gives up sooner, since the next mirror is a
 * better bet than waiting out a rate limit.
 */
export interface MirrorClients {
  last: RegistryClient;
  early?: RegistryClient;
}

function clientFor(clients: MirrorClients, last: boolean): RegistryClient {
  return last ? clients.last : (clients.early ?? clients.last);
}

/** Reads the artifact's manifest from the first mirror that answers; checks it is a Trivy database. */
export async function resolveDb(
  clients: MirrorClients,
  sources: readonly Reference[],
  kind: DbKind,
  logger?: { warning(msg: string): void },
): Promise<ResolvedDb> {
  return withMirrors(
    sources,
    kind.label,
    async (source, last) => {
      const reference = source.digest ?? source.tag ?? 'latest';
      const manifest = await clientFor(clients, last).getManifest(source, reference);
      const layers: unknown[] = Array.isArray(manifest.json?.layers) ? manifest.json.layers : [];
      const layer = layers.find(
        (l): l is Descriptor =>
          typeof l === 'object' &&
          l !== null &&
          (l as Descriptor).mediaType === kind.mediaType &&
          isDigest(String((l as Descriptor).digest)),
      );
      if (!layer) {
        throw new OperationError(
          `reading the Trivy ${kind.label} ${refText(source)}`,
          `the artifact has no layer of type ${kind.mediaType} (is it a Trivy database?)`,
        );
      }
      return { source, digest: manifest.digest, layer };
    },
    logger,
  );
}

/** The manifest digest of what is unpacked in `<cacheDir>/<folder>`, if complete. */
export async function installedDbDigest(cacheDir: string, kind: DbKind): Promise<string | undefined> {
  const dir = join(cacheDir, kind.folder);
  if (!kind.files.every((f) => existsSync(join(dir, f)))) return undefined;
  const text = await readFile(join(dir, DIGEST_MARKER), 'utf8').catch(() => '');
  return text.trim() || undefined;
}

/**
 * Downloads the layer (from the mirror that resolved it, then the others) and unpacks it into
 * `<cacheDir>/<folder>`, replacing what was there only once the new files are complete.
 */
export async function downloadDb(
  clients: MirrorClients,
  sources: readonly Reference[],
  resolved: ResolvedDb,
  cacheDir: string,
  kind: DbKind,
  logger?: { warning(msg: string): void },
): Promise<void> {
  const dir = join(cacheDir, kind.folder);
  const staging = `${dir}.partial-${randomBytes(4).toString('hex')}`;
  const ordered = [resolved.source, ...sources.filter((s) => s !== resolved.source)];
  try {
    await withMirrors(
      ordered,
      kind.label,
      async (source, last) => {
        await rm(staging, { recursive: true, force: true });
        await mkdir(staging, { recursive: true });
        const stream = await clientFor(clients, last).getBlob(source, resolved.layer.digest);
        const found = await extractTarGz(stream, staging, new Set(kind.files));
        const missing = kind.files.filter((f) => !found.includes(f));
        if (missing.length > 0) {
          throw new OperationError(
            `unpacking the Trivy ${kind.label} ${refText(source)}`,
            `the layer has no ${missing.join(', ')}`,
          );
        }
      },
      logger,
    );
    await writeFile(join(staging, DIGEST_MARKER), `${resolved.digest}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Age of the database from its metadata.json (`UpdatedAt`), for the summary. */
export async function dbUpdatedAt(cacheDir: string, kind: DbKind): Promise<Date | undefined> {
  const text = await readFile(join(cacheDir, kind.folder, 'metadata.json'), 'utf8').catch(() => '');
  try {
    const at = (JSON.parse(text) as { UpdatedAt?: unknown }).UpdatedAt;
    const d = typeof at === 'string' ? new Date(at) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
  } catch {
    return undefined;
  }
}
