// Reads the releases that already exist, for the floating-tag decision: git tags of the checkout
// (one `git tag --list`) and, best effort with a short deadline, the tags of the first image in
// its registry. A source that cannot be read is reported, never fatal.
import { describeError } from '#shared/errors.js';
import type { Reference } from '#shared/oci/reference.js';
import { type ReleaseSource, releasesFromTags } from './floating.js';

/** Bounds of the registry read: a registry that keeps sending pages or tags is given up on. */
export const REGISTRY_MAX_PAGES = 100;
export const REGISTRY_MAX_TAGS = 100_000;

/**
 * The tags of an image repository, with the credentials of the docker config. The registry
 * client (and its HTTP stack) is loaded here, on first use, to keep the action's start-up lean.
 * `signal` ends the listing at once: the request in flight and every connection are dropped,
 * so a slow or endless registry cannot keep the step running.
 */
export async function listRegistryTags(
  image: Pick<Reference, 'registry' | 'repository'>,
  options: {
    logger?: { debug(message: string): void };
    maskSecret?: (secret: string) => void;
    env?: NodeJS.ProcessEnv;
    signal?: AbortSignal;
    maxPages?: number;
    maxTags?: number;
  } = {},
): Promise<string[]> {
  const { RegistryClient } = await import('#shared/oci/client.js');
  const client = new RegistryClient({
    // one quick retry: this read is best effort and must not hold the release up
    retry: { retries: 1, minDelayMs: 200, maxDelayMs: 1_000 },
    logger: options.logger,
    maskSecret: options.maskSecret,
    env: options.env,
  });
  const { signal } = options;
  // a token request or a body read in flight is cut too: closing drops every connection
  const dropConnections = () => void client.close();
  signal?.addEventListener('abort', dropConnections, { once: true });
  try {
    return await client.listTags(
      { registry: image.registry, repository: image.repository },
      { signal, maxPages: options.maxPages ?? REGISTRY_MAX_PAGES, maxTags: options.maxTags ?? REGISTRY_MAX_TAGS },
    );
  } finally {
    signal?.removeEventListener('abort', dropConnections);
    await client.close();
  }
}

export interface ReleaseReaders {
  /** tag names of the git checkout */
  gitTags: () => Promise<string[]>;
  /** tag names of the first image in its registry (to give up when `signal` aborts); undefined to skip */
  registryTags?: (signal: AbortSignal) => Promise<string[]>;
  /** whether the checkout is shallow (its tags may be incomplete) */
  isShallow?: () => boolean | undefined;
}

export interface ReleaseReadOptions {
  /** monorepo git tag prefix */
  tagPrefix: string;
  /** literal flavor prefix/suffix that image version tags may carry */
  imagePrefix: string;
  imageSuffix: string;
  /** e.g. `registry ghcr.io/acme/api` */
  registryName: string;
  registryTimeoutMs: number;
}

export interface ReleaseReadResult {
  /** undefined when no source could be read */
  sources: ReleaseSource[] | undefined;
  /** what was read, for the log */
  notes: string[];
  /** what went wrong, for warnings */
  problems: string[];
}

/** Runs `work` with a deadline: at `ms` its signal aborts (the work stops) and the result is an error. */
function withDeadline<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, what: string): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} took longer than ${ms} ms`);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  const running = work(controller.signal);
  // the work's own rejection after the deadline is expected (aborted): not an unhandled one
  running.catch(() => {});
  return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
}

export async function readReleases(readers: ReleaseReaders, options: ReleaseReadOptions): Promise<ReleaseReadResult> {
  const notes: string[] = [];
  const problems: string[] = [];
  const sources: ReleaseSource[] = [];
  const [git, registry] = await Promise.allSettled([
    readers.gitTags(),
    readers.registryTags
      ? withDeadline(
          (signal) => (readers.registryTags as (signal: AbortSignal) => Promise<string[]>)(signal),
          options.registryTimeoutMs,
          `listing the tags of ${options.registryName}`,
        )
      : Promise.resolve(undefined),
  ]);
  if (git.status === 'fulfilled') {
    const versions = releasesFromTags(git.value, { prefix: options.tagPrefix });
    sources.push({ name: 'git tags', versions });
    notes.push(
      `git tags: ${git.value.length} tags, ${versions.length} releases${options.tagPrefix ? ` with prefix '${options.tagPrefix}'` : ''}`,
    );
    if (readers.isShallow?.() === true) {
      problems.push(
        'The checkout is shallow, so git tags may be incomplete; check out with fetch-depth: 0 so that floating tags are judged against every release',
      );
    }
  } else {
    problems.push(`Git tags could not be read (${describeError(git.reason)})`);
  }
  if (registry.status === 'fulfilled' && registry.value !== undefined) {
    const tags = registry.value;
    const versions = new Set(releasesFromTags(tags));
    if (options.imagePrefix || options.imageSuffix) {
      for (const v of releasesFromTags(tags, { prefix: options.imagePrefix, suffix: options.imageSuffix }))
        versions.add(v);
    }
    sources.push({ name: options.registryName, versions: [...versions] });
    notes.push(`${options.registryName}: ${tags.length} tags, ${versions.size} releases`);
  } else if (registry.status === 'rejected') {
    problems.push(`The tags of ${options.registryName} could not be read (${describeError(registry.reason)})`);
  }
  return { sources: sources.length > 0 ? sources : undefined, notes, problems };
}
