// Digest-preserving copy of a whole image graph (index, manifests, configs, layers, referrers,
// cosign tags) between any two references. Bytes are moved as they are, never converted or
// recompressed, so every digest at the target equals the source's. Within one registry blobs are
// mounted; across registries they are streamed GET -> PUT without holding a layer in memory.
// Tags are written last, so a failed copy leaves no target tag on an incomplete image.
import { createHash } from 'node:crypto';
import { ConfigurationError, OperationError } from '../errors.js';
import type { BlobTransfer, Descriptor, Platform, RegistryClient, RepositoryRef } from './client.js';
import { type CosignTagOutcome, writeCosignTag } from './cosign-tags.js';
import { type GraphNode, type ImageGraph, limiter, walkGraph } from './graph.js';
import type { Reference } from './reference.js';
import { type ReferrerSelection, referrerDescriptor, subjectOf, updateReferrersIndex } from './referrers.js';

export type CopyClient = Pick<
  RegistryClient,
  'getManifest' | 'putManifest' | 'listTags' | 'referrersApi' | 'getBlob' | 'getBlobBytes' | 'pushBlob' | 'mountBlob'
>;

export interface CopyOptions {
  /** attached artifacts to copy along: all (default), signatures only, or none */
  referrers?: ReferrerSelection;
  /** copy only these platforms of an index ('linux/amd64', 'linux/arm64/v8'): the target gets a new index */
  platforms?: readonly string[];
  /** tags to write at the target (default: the target reference's tag) */
  tags?: readonly string[];
  /**
   * parallel blob transfers (default 6, as skopeo: with fewer, a cross-registry copy on a local
   * network is bound by per-request latency rather than bandwidth)
   */
  concurrency?: number;
  /** a graph of the source already walked with the same referrer selection */
  graph?: ImageGraph;
  /**
   * Blob transfers shared by several copies to the same target (a mirror of many tags whose
   * images share base layers): a blob another copy is already sending is awaited, not sent
   * twice. Keyed by `registry/repository@digest`; pass the same Map to every copy.
   */
  blobTransfers?: Map<string, Promise<BlobTransfer>>;
  logger?: { debug(msg: string): void; info?(msg: string): void };
}

export interface BlobReport {
  digest: string;
  size: number;
  mediaType: string;
  transfer: BlobTransfer;
}

export interface ManifestReport {
  digest: string;
  mediaType: string;
  /** the digest or tag it was put under */
  reference: string;
}

export type CopyMode = 'same-repository' | 'same-registry' | 'cross-registry';

export interface CopyResult {
  mode: CopyMode;
  /** the digest of the source root */
  sourceDigest: string;
  /** the digest of the target root: the source's, or a new one when platforms were filtered */
  digest: string;
  mediaType: string;
  blobs: BlobReport[];
  bytesUploaded: number;
  bytesMounted: number;
  bytesExisted: number;
  /** every manifest put, each verified against the Docker-Content-Digest the target answered */
  manifests: ManifestReport[];
  /** tags written at the target: the requested tags, cosign tags and referrers index tags */
  tags: string[];
  /** the platforms left out of a filtered index */
  droppedPlatforms: string[];
  /**
   * cosign tags at the target: created, unchanged, merged with the target's own signatures, or
   * kept (the target's different tag left alone, with the reason)
   */
  cosignTags: CosignTagOutcome[];
}

/** 'linux/arm64/v8' -> { os, architecture, variant } */
export function parsePlatform(text: string, input?: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new ConfigurationError(
      `'${text}' is not a platform; expected os/arch or os/arch/variant (linux/arm64)`,
      input,
    );
  }
  const p: Platform = { os: parts[0]!, architecture: parts[1]! };
  if (parts[2]) p.variant = parts[2];
  return p;
}

export function formatPlatform(p: Partial<Platform> | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

/** A wanted platform without a variant matches every variant of its os/arch. */
export function platformMatches(have: Partial<Platform> | undefined, wanted: Platform): boolean {
  if (!have || have.os !== wanted.os || have.architecture !== wanted.architecture) return false;
  return !wanted.variant || have.variant === wanted.variant;
}

const ATTESTATION_TYPE = 'vnd.docker.reference.type';
const ATTESTATION_DIGEST = 'vnd.docker.reference.digest';

/**
 * An index reduced to the wanted platforms. Entries without a platform of their own (buildx
 * attestation manifests) stay when the entry they describe stays. Returns the same bytes when
 * nothing is left out.
 */
export function filterIndex(
  // biome-ignore lint/suspicious/noExplicitAny: parsed index JSON
  index: { bytes: Buffer; json: any },
  wanted: readonly Platform[],
): { bytes: Buffer; kept: Descriptor[]; dropped: Descriptor[]; changed: boolean } {
  const entries = (index.json.manifests ?? []) as Descriptor[];
  const isAttestation = (d: Descriptor) => d.annotations?.[ATTESTATION_TYPE] === 'attestation-manifest';
  const keptImages = new Set(
    entries.filter((d) => !isAttestation(d) && wanted.some((w) => platformMatches(d.platform, w))).map((d) => d.digest),
  );
  const kept = entries.filter((d) =>
    isAttestation(d) ? keptImages.has(d.annotations?.[ATTESTATION_DIGEST] ?? '') : keptImages.has(d.digest),
  );
  const dropped = entries.filter((d) => !kept.includes(d));
  if (dropped.length === 0) return { bytes: index.bytes, kept, dropped, changed: false };
  const json = { ...index.json, manifests: kept };
  return { bytes: Buffer.from(JSON.stringify(json)), kept, dropped, changed: true };
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function describe(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/**
 * Copies the image `source` names, with everything attached to it, to `target`. The target's
 * tags (options.tags, else target.tag) are written only after every blob and manifest is there.
 */
export async function copyImage(
  client: CopyClient,
  source: Reference,
  target: Reference,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const srcRepo: RepositoryRef = { registry: source.registry, repository: source.repository };
  const dstRepo: RepositoryRef = { registry: target.registry, repository: target.repository };
  const srcRef = source.digest ?? source.tag;
  if (!srcRef) throw new ConfigurationError(`source '${describe(source)}' names neither a tag nor a digest`);
  const mode: CopyMode =
    source.registry !== target.registry
      ? 'cross-registry'
      : source.repository !== target.repository
        ? 'same-registry'
        : 'same-repository';
  const tags = [...(options.tags ?? (target.tag ? [target.tag] : []))];
  const wanted = options.platforms?.map((p) => parsePlatform(p, 'platforms'));
  const log = options.logger?.debug.bind(options.logger) ?? (() => {});
  const what = `copying ${describe(source)} to ${describe(target)}`;

  const result: CopyResult = {
    mode,
    sourceDigest: '',
    digest: '',
    mediaType: '',
    blobs: [],
    bytesUploaded: 0,
    bytesMounted: 0,
    bytesExisted: 0,
    manifests: [],
    tags: [],
    droppedPlatforms: [],
    cosignTags: [],
  };

  const put = async (reference: string, bytes: Buffer, mediaType: string, expected: string) => {
    const r = await client.putManifest(dstRepo, reference, bytes, mediaType);
    if (r.digest !== expected) {
      throw new OperationError(what, `the target stored ${reference} as ${r.digest}, expected ${expected}`);
    }
    result.manifests.push({ digest: r.digest, mediaType, reference });
    return r;
  };

  // The root, reduced to the wanted platforms when asked.
  let graph: ImageGraph | undefined;
  let root: { digest: string; mediaType: string; bytes: Buffer; json: unknown };
  let newRoot: { bytes: Buffer; digest: string; kept: Descriptor[] } | undefined;
  if (mode === 'same-repository') {
    // Everything is already there: only the root (or its filtered index) and the tags are put.
    const node = options.graph?.node(options.graph.root);
    root = node
      ? { digest: node.digest, mediaType: node.mediaType, bytes: node.bytes!, json: node.json }
      : await client.getManifest(srcRepo, srcRef);
  } else {
    graph = options.graph ?? (await walkGraph(client, srcRepo, srcRef, { referrers: options.referrers ?? 'all' }));
    const node = graph.node(graph.root)!;
    root = { digest: node.digest, mediaType: node.mediaType, bytes: node.bytes!, json: node.json };
  }
  result.sourceDigest = root.digest;
  result.mediaType = root.mediaType;
  if (wanted) newRoot = await reduceRoot(client, srcRepo, root, wanted, result, source);
  result.digest = newRoot?.digest ?? root.digest;
  if (target.digest && target.digest !== result.digest) {
    throw new ConfigurationError(
      `target '${describe(target)}' names digest ${target.digest} but the copied image is ${result.digest}`,
    );
  }
  const rootBytes = newRoot?.bytes ?? root.bytes;

  if (graph) {
    // What to copy: the image (or the kept platforms) and everything attached to it; the source's
    // referrers tag indexes are rebuilt for the target instead of copied.
    const follow = ['child', 'config', 'layer', 'referrer', 'cosign-tag'] as const;
    const starts = newRoot ? newRoot.kept.map((d) => d.digest) : [root.digest];
    const included = graph.reachable(starts, follow);
    for (const d of [...included]) if (graph.node(d)?.role === 'referrers-index') included.delete(d);

    await copyBlobs(client, graph, included, srcRepo, dstRepo, mode, options, result, log);

    // Manifests by digest, dependencies first; referrers not processed by the target are
    // collected per subject for its referrers tag index. A cosign artifact reached only through
    // its tag is written under that tag afterwards (it may be merged there), not by digest.
    const limit = limiter(options.concurrency ?? 6);
    const fallback = new Map<string, Descriptor[]>();
    const tagOnly = cosignTagOnly(graph, included);
    for (const wave of graph.pushWaves(included)) {
      await Promise.all(
        wave
          .filter((node) => !tagOnly.has(node.digest))
          .map((node) =>
            limit(async () => {
              const r = await put(node.digest, node.bytes!, node.mediaType, node.digest);
              const subject = subjectOf(node.json);
              if (subject && !r.subjectProcessed) {
                const list = fallback.get(subject.digest) ?? [];
                list.push(
                  referrerDescriptor({
                    digest: node.digest,
                    mediaType: node.mediaType,
                    bytes: node.bytes!,
                    json: node.json,
                  }),
                );
                fallback.set(subject.digest, list);
              }
            }),
          ),
      );
    }
    if (newRoot) await put(newRoot.digest, newRoot.bytes, root.mediaType, newRoot.digest);

    for (const [subject, descriptors] of fallback) {
      if (!included.has(subject)) continue;
      const r = await updateReferrersIndex(client, dstRepo, subject, descriptors);
      if (r.changed) result.tags.push(r.tag);
      log(`referrers index ${r.tag}: ${r.changed ? 'written' : 'up to date'}`);
    }
    for (const e of graph.edges) {
      if (e.kind !== 'cosign-tag' || !e.tag || !included.has(e.from) || !included.has(e.to)) continue;
      const node = graph.node(e.to)!;
      const outcome = await writeCosignTag(client, dstRepo, e.tag, e.cosignKind ?? 'sig', {
        digest: node.digest,
        mediaType: node.mediaType,
        bytes: node.bytes!,
        json: node.json,
      });
      result.cosignTags.push(outcome);
      if (outcome.action === 'created' || outcome.action === 'merged') {
        result.manifests.push({ digest: outcome.digest, mediaType: node.mediaType, reference: e.tag });
        result.tags.push(e.tag);
      }
      log(`cosign tag ${e.tag}: ${outcome.action}${outcome.detail ? ` (${outcome.detail})` : ''}`);
    }
  } else if (newRoot && newRoot.digest !== root.digest) {
    await put(newRoot.digest, newRoot.bytes, root.mediaType, newRoot.digest);
  }

  for (const tag of tags) {
    await put(tag, rootBytes, root.mediaType, result.digest);
    result.tags.push(tag);
  }
  return result;
}

/**
 * Cosign artifacts that nothing but their tag leads to and that have nothing attached
 * themselves: they need no copy by digest.
 */
function cosignTagOnly(graph: ImageGraph, included: ReadonlySet<string>): Set<string> {
  const incoming = new Map<string, Set<string>>();
  const hasOwn = new Set<string>();
  for (const e of graph.edges) {
    if (!included.has(e.from) || !included.has(e.to)) continue;
    const kinds = incoming.get(e.to) ?? new Set<string>();
    kinds.add(e.kind);
    incoming.set(e.to, kinds);
    if (e.kind === 'referrer' || e.kind === 'cosign-tag' || e.kind === 'referrers-index') hasOwn.add(e.from);
  }
  const out = new Set<string>();
  for (const [digest, kinds] of incoming) {
    if (kinds.size === 1 && kinds.has('cosign-tag') && !hasOwn.has(digest)) out.add(digest);
  }
  return out;
}

async function reduceRoot(
  client: CopyClient,
  repo: RepositoryRef,
  root: { digest: string; mediaType: string; bytes: Buffer; json: unknown },
  wanted: Platform[],
  result: CopyResult,
  source: Reference,
): Promise<{ bytes: Buffer; digest: string; kept: Descriptor[] } | undefined> {
  // biome-ignore lint/suspicious/noExplicitAny: parsed manifest JSON
  const json = root.json as any;
  const names = wanted.map(formatPlatform).join(', ');
  if (!Array.isArray(json?.manifests)) {
    // A single-platform image: copy it when its config names a wanted platform.
    const config = json?.config as Descriptor | undefined;
    const cfg = config ? JSON.parse((await client.getBlobBytes(repo, config.digest, 1 << 20)).toString('utf8')) : {};
    const have = { os: cfg.os, architecture: cfg.architecture, variant: cfg.variant };
    if (!wanted.some((w) => platformMatches(have, w))) {
      throw new ConfigurationError(
        `'${describe(source)}' is a single ${formatPlatform(have)} image, none of the requested platforms (${names})`,
        'platforms',
      );
    }
    return undefined;
  }
  const f = filterIndex({ bytes: root.bytes, json }, wanted);
  if (!f.kept.some((d) => d.platform)) {
    const available = (json.manifests as Descriptor[])
      .filter((d) => d.platform && d.platform.os !== 'unknown')
      .map((d) => formatPlatform(d.platform));
    throw new ConfigurationError(
      `'${describe(source)}' has none of the requested platforms (${names}); it has ${available.join(', ') || 'none'}`,
      'platforms',
    );
  }
  result.droppedPlatforms = f.dropped
    .filter((d) => d.platform?.os !== 'unknown')
    .map((d) => formatPlatform(d.platform));
  if (!f.changed) return undefined;
  return { bytes: f.bytes, digest: sha256(f.bytes), kept: f.kept };
}

async function copyBlobs(
  client: CopyClient,
  graph: ImageGraph,
  included: ReadonlySet<string>,
  from: RepositoryRef,
  to: RepositoryRef,
  mode: CopyMode,
  options: CopyOptions,
  result: CopyResult,
  log: (msg: string) => void,
): Promise<void> {
  const limit = limiter(options.concurrency ?? 6);
  const blobs = graph.blobs().filter((b) => included.has(b.digest) && !b.foreign);
  // Largest first, so the long transfers start early and the small ones fill the gaps.
  blobs.sort((a, b) => b.size - a.size);
  const send = async (blob: GraphNode): Promise<BlobTransfer> => {
    if (mode === 'same-registry' && (await client.mountBlob(to, blob.digest, from))) return 'mounted';
    return client.pushBlob(to, { digest: blob.digest, size: blob.size }, () => client.getBlob(from, blob.digest));
  };
  const shared = options.blobTransfers;
  const one = async (blob: GraphNode): Promise<void> => {
    let transfer: BlobTransfer;
    const key = `${to.registry}/${to.repository}@${blob.digest}`;
    const running = shared?.get(key);
    if (running) {
      // Sent (or being sent) by another copy of this run: there once that one is done; if
      // that one failed, this copy tries on its own.
      transfer = await running.then(
        (): BlobTransfer => 'existed',
        () => send(blob),
      );
    } else {
      const p = send(blob);
      if (shared) {
        shared.set(key, p);
        // A failed transfer is not remembered: the next copy that needs the blob tries again.
        p.catch(() => shared.delete(key));
      }
      transfer = await p;
    }
    result.blobs.push({ digest: blob.digest, size: blob.size, mediaType: blob.mediaType, transfer });
    if (transfer === 'uploaded') result.bytesUploaded += blob.size;
    else if (transfer === 'mounted') result.bytesMounted += blob.size;
    else result.bytesExisted += blob.size;
    log(`blob ${blob.digest} (${blob.size} bytes): ${transfer}`);
  };
  await Promise.all(blobs.map((b) => limit(() => one(b))));
}
