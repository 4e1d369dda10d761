// promote's sync mode: incremental mirroring of the tags of one repository (or several) to
// another repository or registry. A tag whose digest at the target already equals the source's
// costs one HEAD on each side; an image is copied (with its signatures, attestations and SBOMs,
// by the same graph copy as a promotion) only when the target lacks it or its attachments; blobs
// already at the target are not sent again. Tags are mirrored in parallel within a request
// limit, and one failed tag does not stop the others.
import { describeError } from '#shared/errors.js';
import type { Logger } from '#shared/action/log.js';
import type { BlobTransfer, Descriptor, ManifestResult, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { mergeCosignLayers } from '#shared/oci/cosign-tags.js';
import { type CopyClient, type CopyResult, copyImage } from '#shared/oci/copy.js';
import { limiter, walkGraph } from '#shared/oci/graph.js';
import { isIndexMediaType } from '#shared/oci/media-types.js';
import {
  isNotFound,
  isSignatureLike,
  listReferrers,
  parseDigestTag,
  referrersTag,
  selectsReferrer,
} from '#shared/oci/referrers.js';
import type { TagMatcher } from '#shared/policy/tag-patterns.js';
import type { ImmutableTags, ReferrerMode } from './inputs.js';
import type { SyncPair } from './targets.js';
import type { BlobCounts } from './report.js';
import { type DeletionOutcome, deleteTags } from './sync-delete.js';

export type SyncClient = CopyClient &
  Pick<RegistryClient, 'headManifest' | 'deleteManifest' | 'deleteTag' | 'getBlobBytes' | 'pushBlob'>;

export interface SyncOptions {
  pairs: SyncPair[];
  /** which source tags are mirrored (digest-named attachment tags never are: they follow their image) */
  tags: TagMatcher;
  referrers: ReferrerMode;
  immutable: ImmutableTags;
  force: boolean;
  delete: boolean;
  maxDeletions: number;
  parallel: number;
  dryRun: boolean;
}

export type SyncTagAction = 'created' | 'moved' | 'unchanged' | 'conflict' | 'failed';

export interface SyncTagResult {
  tag: string;
  /** the source digest (null when the source tag could not be read) */
  digest: string | null;
  /** the target's digest before the run */
  previous: string | null;
  action: SyncTagAction;
  /** an immutable tag moved because of force */
  forced?: boolean;
  /** why it failed or conflicted */
  detail?: string;
}

export interface PairReport {
  source: string;
  target: string;
  tags: SyncTagResult[];
  /** images whose attachments (signatures, SBOMs) were brought up to date under unchanged tags */
  attachmentsUpdated: number;
  blobs: BlobCounts;
  bytes: number;
  /** the pair could not be mirrored at all (listing failed) */
  error?: string;
  deletions?: DeletionOutcome;
  /** things to know: cosign tags of the target left alone, and the like */
  notes: string[];
}

export interface SyncReport {
  dryRun: boolean;
  pairs: PairReport[];
}

const repoText = (r: RepositoryRef) => `${r.registry}/${r.repository}`;

async function listOrEmpty(client: SyncClient, repo: RepositoryRef): Promise<string[]> {
  try {
    return await client.listTags(repo);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export async function sync(options: SyncOptions, deps: { client: SyncClient; logger: Logger }): Promise<SyncReport> {
  const report: SyncReport = { dryRun: options.dryRun, pairs: [] };
  // One map for the whole run: repositories mirrored to the same target share base layers.
  const blobTransfers = new Map<string, Promise<BlobTransfer>>();
  for (const pair of options.pairs) {
    report.pairs.push(await syncPair(pair, options, deps, blobTransfers));
  }
  return report;
}

async function syncPair(
  pair: SyncPair,
  options: SyncOptions,
  { client, logger }: { client: SyncClient; logger: Logger },
  blobTransfers: Map<string, Promise<BlobTransfer>>,
): Promise<PairReport> {
  const { source, target } = pair;
  const out: PairReport = {
    source: repoText(source),
    target: repoText(target),
    tags: [],
    attachmentsUpdated: 0,
    blobs: { mounted: 0, existed: 0, uploaded: 0 },
    bytes: 0,
    notes: [],
  };
  let sourceTags: string[];
  let targetTags: string[];
  try {
    [sourceTags, targetTags] = await Promise.all([client.listTags(source), listOrEmpty(client, target)]);
  } catch (err) {
    out.error = describeError(err);
    logger.warning(`${out.source} => ${out.target}: nothing mirrored: ${out.error}`);
    return out;
  }
  const sourceSet = new Set(sourceTags);
  const targetSet = new Set(targetTags);
  const selected = sourceTags.filter((t) => !parseDigestTag(t) && options.tags.matches(t));
  logger.info(`${out.source} => ${out.target}: ${selected.length} of ${sourceTags.length} source tags selected`);

  const limit = limiter(options.parallel);
  const addCopy = (r: CopyResult) => {
    for (const b of r.blobs) out.blobs[b.transfer]++;
    out.bytes += r.bytesUploaded;
    for (const c of r.cosignTags) {
      if (c.action === 'kept' && c.detail) out.notes.push(`${out.target}:${c.tag}: ${c.detail}`);
      if (c.action === 'merged' && c.detail) out.notes.push(`${out.target}:${c.tag} merged: ${c.detail}`);
    }
  };

  // Subjects whose attachments are judged per digest: the image and, for an index, its children.
  const subjectsOf = async (digest: string, mediaType: string): Promise<string[]> => {
    if (!isIndexMediaType(mediaType)) return [digest];
    const index = await limit(() => client.getManifest(source, digest));
    const children = Array.isArray(index.json?.manifests)
      ? (index.json.manifests as Descriptor[]).map((d) => d.digest).filter((d) => typeof d === 'string')
      : [];
    return [digest, ...children];
  };

  // The first answer tells whether the source has the API; the others wait for it, so a
  // registry without it gets one 404 per run, not one per image.
  let apiProbe: Promise<boolean> | undefined;
  const sourceApiReferrers = async (subject: string): Promise<Descriptor[]> => {
    if (apiProbe && !(await apiProbe)) return [];
    const call = limit(() => client.referrersApi(source, subject));
    apiProbe ??= call.then(
      (list) => list !== null,
      () => true,
    );
    const list = await call;
    return (list ?? []).filter((d) => selectsReferrer(options.referrers, d));
  };
  /** The target's referrers of a subject, through its API and its referrers tag index. */
  const targetReferrers = async (subject: string): Promise<Set<string>> => {
    const listing = await limit(() => listReferrers(client, target, subject, { tags: targetSet, api: true }));
    return new Set(listing.descriptors.map((d) => d.digest));
  };

  /** True when every attachment tag of the source image is at the target, or contained in what the target has. */
  const attachmentsInSync = async (digest: string, mediaType: string): Promise<boolean> => {
    if (options.referrers === 'none') return true;
    const subjects = await subjectsOf(digest, mediaType);
    const wanted: { tag: string; kind: 'referrers' | 'sig' | 'att' | 'sbom' }[] = [];
    for (const s of subjects) {
      for (const suffix of ['', '.sig', '.att', '.sbom']) {
        const tag = `${referrersTag(s)}${suffix}`;
        if (!sourceSet.has(tag)) continue;
        const kind = (parseDigestTag(tag)?.kind ?? 'referrers') as 'referrers' | 'sig' | 'att' | 'sbom';
        if (options.referrers === 'signatures' && kind !== 'sig' && kind !== 'referrers') continue;
        wanted.push({ tag, kind });
      }
    }
    for (const { tag, kind } of wanted) {
      if (!targetSet.has(tag)) return false;
      const [a, b] = await Promise.all([
        limit(() => client.headManifest(source, tag)),
        limit(() => client.headManifest(target, tag)),
      ]);
      if (!a) continue;
      if (!b) return false;
      if (a.digest === b.digest || kind === 'sbom') continue;
      // Different: in sync when the target's holds everything the source's does (merged earlier).
      const [src, dst] = await Promise.all([
        limit(() => client.getManifest(source, tag)),
        limit(() => client.getManifest(target, tag)),
      ]);
      if (kind === 'referrers') {
        const have = new Set(((dst.json?.manifests ?? []) as Descriptor[]).map((d) => d.digest));
        const need = ((src.json?.manifests ?? []) as Descriptor[]).filter(
          (d) => options.referrers === 'all' || isSignatureLike(d),
        );
        if (need.some((d) => !have.has(d.digest))) return false;
      } else {
        const merged = mergeCosignLayers(dst, src);
        if (merged && merged.added.length > 0) return false;
      }
    }
    // Referrers pushed through the OCI referrers API have no tag: ask the API, once a registry
    // is known to have it (the first 404 answers for the whole run).
    for (const s of subjects) {
      const referrers = await sourceApiReferrers(s);
      if (referrers.length === 0) continue;
      const have = await targetReferrers(s);
      if (referrers.some((d) => !have.has(d.digest))) return false;
    }
    return true;
  };

  // Each source digest is brought to the target once, however many tags point at it.
  // Resolves to the root manifest when it was read anyway, null when the target was up to date.
  const images = new Map<string, Promise<ManifestResult | null>>();
  const bringImage = (digest: string, mediaType: string, knownPresent: boolean): Promise<ManifestResult | null> => {
    let p = images.get(digest);
    if (!p) {
      p = (async () => {
        // Another tag may have brought this digest earlier (in an earlier run too).
        const present = knownPresent || (await limit(() => client.headManifest(target, digest))) !== null;
        if (present && (await attachmentsInSync(digest, mediaType))) return null;
        return copies(() => copy(digest, present));
      })();
      images.set(digest, p);
    }
    return p;
  };

  // At most `parallel` images are walked and copied at once (a separate limit from the tag
  // checks', so that a copy never waits for a slot its own caller holds).
  const copies = limiter(options.parallel);
  const copy = async (digest: string, present: boolean): Promise<ManifestResult> => {
    const graph = await walkGraph(client, source, digest, {
      referrers: options.referrers,
      tags: sourceTags,
      concurrency: options.parallel,
      logger,
    });
    const root = graph.node(graph.root)!;
    const rootResult: ManifestResult = {
      digest: root.digest,
      mediaType: root.mediaType,
      bytes: root.bytes!,
      json: root.json,
    };
    if (options.dryRun) return rootResult;
    const r = await copyImage(
      client,
      { ...source, digest },
      { ...target },
      { referrers: options.referrers, tags: [], graph, concurrency: options.parallel, blobTransfers, logger },
    );
    addCopy(r);
    if (present) out.attachmentsUpdated++;
    return rootResult;
  };

  const one = async (tag: string): Promise<SyncTagResult> => {
    const result: SyncTagResult = { tag, digest: null, previous: null, action: 'failed' };
    try {
      const [src, dst] = await Promise.all([
        limit(() => client.headManifest(source, tag)),
        targetSet.has(tag) ? limit(() => client.headManifest(target, tag)) : Promise.resolve(null),
      ]);
      if (!src) {
        result.detail = 'the source tag disappeared while mirroring';
        return result;
      }
      result.digest = src.digest;
      result.previous = dst?.digest ?? null;
      if (dst && dst.digest === src.digest) {
        await bringImage(src.digest, src.mediaType, true);
        result.action = 'unchanged';
        return result;
      }
      if (dst) {
        const immutable = options.immutable.matcher?.matches(tag) ?? false;
        if (immutable && !options.force) {
          result.action = 'conflict';
          result.detail = `the target's ${tag} is ${dst.digest} and the source's is ${src.digest}; '${tag}' is immutable (matches ${options.immutable.patterns.join(', ')}), so it was not moved`;
          return result;
        }
        if (immutable) result.forced = true;
      }
      const root =
        (await bringImage(src.digest, src.mediaType, false)) ??
        (await limit(() => client.getManifest(source, src.digest)));
      if (!options.dryRun) {
        await limit(() => client.putManifest(target, tag, root.bytes, root.mediaType));
      }
      result.action = dst ? 'moved' : 'created';
      return result;
    } catch (err) {
      result.action = 'failed';
      result.detail = describeError(err);
      return result;
    }
  };

  out.tags = await Promise.all(selected.map(one));
  for (const r of out.tags) {
    const line = `${out.target}:${r.tag}: ${r.action}${r.digest ? ` ${r.digest}` : ''}${r.previous && r.previous !== r.digest ? ` (was ${r.previous})` : ''}`;
    if (r.action === 'failed' || r.action === 'conflict') logger.warning(`${line}: ${r.detail}`);
    else logger.info(line);
  }

  if (options.delete) {
    // Only tags this mirror owns (selected by sync-tags) are removed, and only when the source
    // listing was read whole (it was, or we would not be here).
    const doomed = targetTags.filter((t) => !parseDigestTag(t) && options.tags.matches(t) && !sourceSet.has(t));
    if (doomed.length > 0) {
      out.deletions = await deleteTags(client, target, doomed, {
        maxDeletions: options.maxDeletions,
        dryRun: options.dryRun,
        parallel: options.parallel,
        logger,
      });
    }
  }
  return out;
}

export function tagCounts(pair: PairReport): Record<SyncTagAction, number> {
  const counts: Record<SyncTagAction, number> = { created: 0, moved: 0, unchanged: 0, conflict: 0, failed: 0 };
  for (const t of pair.tags) counts[t.action]++;
  return counts;
}
