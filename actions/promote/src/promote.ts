// The promotion itself: resolve the source once, check the gates, decide every target, copy the
// graph to every target by digest with the OCI client's graph copy, and only then write the
// target tags. Nothing is written before every check has passed; in a dry run nothing at all.
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { fmt, type Logger } from '#shared/action/log.js';
import type { ManifestResult, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import {
  type CopyClient,
  type CopyResult,
  copyImage,
  filterIndex,
  formatPlatform,
  parsePlatform,
  platformMatches,
} from '#shared/oci/copy.js';
import { type ImageGraph, walkGraph } from '#shared/oci/graph.js';
import { isIndexMediaType } from '#shared/oci/media-types.js';
import { formatReference } from '#shared/oci/reference.js';
import { createHash } from 'node:crypto';
import { decideTarget, decideTargets, type TargetDecision } from './decide.js';
import { assertGatesPassed, type ClientForGates, checkGates } from './gates.js';
import type { PromoteInputs } from './inputs.js';
import type { BlobCounts, PlatformChange, PromotionReport, TargetReport } from './report.js';
import { formatTarget, routeOf, type Target } from './targets.js';

export type PromoteClient = CopyClient & ClientForGates & Pick<RegistryClient, 'headBlob'>;

export interface PromoteDeps {
  client: PromoteClient;
  logger: Logger;
  now?: () => Date;
}

/** The manifest that the target tags will point at: the source root, or its platform subset. */
export interface PromotedRoot {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** digests the copy starts from (the kept index entries, or the root itself) */
  starts: string[];
  change: PlatformChange | undefined;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const repoOf = (t: { registry: string; repository: string }): RepositoryRef => ({
  registry: t.registry,
  repository: t.repository,
});

/**
 * Computes what will be promoted before anything is written, with the same index reduction the
 * graph copy applies, and refuses a requested platform the source does not have.
 */
export async function promotedRoot(
  client: Pick<RegistryClient, 'getBlobBytes'>,
  repo: RepositoryRef,
  root: ManifestResult,
  platforms: readonly string[] | undefined,
): Promise<PromotedRoot> {
  const unchanged: PromotedRoot = {
    digest: root.digest,
    mediaType: root.mediaType,
    bytes: root.bytes,
    starts: [root.digest],
    change: undefined,
  };
  if (!platforms) return unchanged;
  const wanted = platforms.map((p) => parsePlatform(p, 'platforms'));
  if (!isIndexMediaType(root.mediaType) || !Array.isArray(root.json?.manifests)) {
    const configDigest = root.json?.config?.digest as string | undefined;
    const config = configDigest
      ? JSON.parse((await client.getBlobBytes(repo, configDigest, 1 << 20)).toString('utf8'))
      : {};
    const have = { os: config.os, architecture: config.architecture, variant: config.variant };
    if (!wanted.some((w) => platformMatches(have, w))) {
      throw new ConfigurationError(
        `the source ${root.digest} is a single ${formatPlatform(have)} image, not ${platforms.join(', ')}`,
        'platforms',
      );
    }
    return unchanged;
  }
  const entries = root.json.manifests as Array<{ platform?: { os: string; architecture: string; variant?: string } }>;
  const images = entries.filter((e) => e.platform && e.platform.os !== 'unknown');
  const missing = wanted.filter((w) => !images.some((e) => platformMatches(e.platform, w)));
  if (missing.length) {
    throw new ConfigurationError(
      `the source index ${root.digest} has no ${missing.map(formatPlatform).join(', ')} image (it has ${images.map((e) => formatPlatform(e.platform)).join(', ')})`,
      'platforms',
    );
  }
  const f = filterIndex({ bytes: root.bytes, json: root.json }, wanted);
  if (!f.changed) return unchanged;
  const digest = sha256(f.bytes);
  return {
    digest,
    mediaType: root.mediaType,
    bytes: f.bytes,
    starts: f.kept.map((d) => d.digest),
    change: {
      sourceIndex: root.digest,
      kept: f.kept.filter((d) => d.platform && d.platform.os !== 'unknown').map((d) => formatPlatform(d.platform)),
      dropped: f.dropped
        .filter((d) => d.platform && d.platform.os !== 'unknown')
        .map((d) => formatPlatform(d.platform)),
    },
  };
}

/** What the graph copy takes to a target: the same selection copyImage makes. */
export function copiedSet(graph: ImageGraph, starts: readonly string[]): Set<string> {
  const included = graph.reachable(starts, ['child', 'config', 'layer', 'referrer', 'cosign-tag']);
  for (const d of [...included]) if (graph.node(d)?.role === 'referrers-index') included.delete(d);
  return included;
}

function countReferrers(graph: ImageGraph, included: ReadonlySet<string>): number {
  return [...included].filter((d) => {
    const n = graph.node(d);
    return n && n.kind !== 'blob' && (n.role === 'referrer' || n.role === 'cosign');
  }).length;
}

const noBlobs = (): BlobCounts => ({ mounted: 0, existed: 0, uploaded: 0 });

/** A dry-run estimate for one target: which blobs are already there, which would be mounted or uploaded. */
async function planTarget(
  client: PromoteClient,
  decision: TargetDecision,
  source: RepositoryRef,
  graph: ImageGraph | undefined,
  root: PromotedRoot,
  sourceDigest: string,
): Promise<TargetReport> {
  const route = routeOf(source, decision.target);
  const report: TargetReport = { ...decision, route, manifests: 0, referrers: 0, blobs: noBlobs(), bytes: 0 };
  if (decision.action === 'unchanged') return report;
  report.manifests = 1 + (root.digest !== sourceDigest ? 1 : 0);
  if (route === 'same-repository' || !graph) return report;
  const included = copiedSet(graph, root.starts);
  report.manifests =
    [...included].filter((d) => graph.node(d)?.kind !== 'blob').length + (root.digest !== sourceDigest ? 1 : 0);
  report.referrers = countReferrers(graph, included);
  const target = repoOf(decision.target);
  for (const blob of graph.blobs()) {
    if (!included.has(blob.digest) || blob.foreign) continue;
    if (await client.headBlob(target, blob.digest)) report.blobs.existed++;
    else if (route === 'same-registry') report.blobs.mounted++;
    else {
      report.blobs.uploaded++;
      report.bytes += blob.size;
    }
  }
  return report;
}

function fromCopy(decision: TargetDecision, result: CopyResult, referrers: number): TargetReport {
  const blobs = noBlobs();
  for (const b of result.blobs) blobs[b.transfer]++;
  return {
    ...decision,
    route: result.mode,
    // The target tag itself is written afterwards and counted here too.
    manifests: result.manifests.length + 1,
    referrers,
    blobs,
    bytes: result.bytesUploaded,
  };
}

async function currentDigest(client: PromoteClient, target: Target): Promise<string | null> {
  const found = await client.headManifest(repoOf(target), target.tag);
  return found?.digest ?? null;
}

export async function promote(inputs: PromoteInputs, deps: PromoteDeps): Promise<PromotionReport> {
  const { client, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const source = inputs.source;
  const sourceRepo = repoOf(source);
  const sourceText = formatReference(source);

  // The tag is read once; from here on only the digest is used.
  const root = await client.getManifest(sourceRepo, source.digest ?? (source.tag as string));
  logger.info(fmt`Source ${sourceText} is ${root.digest} (${root.mediaType})`);

  const gates = await checkGates(client, sourceRepo, root, inputs, now());
  for (const g of gates) logger.info(fmt`Gate ${g.gate}: ${g.passed ? 'passed' : 'FAILED'}: ${g.detail}`);
  assertGatesPassed(sourceText, gates);

  const promoted = await promotedRoot(client, sourceRepo, root, inputs.platforms);
  if (promoted.change) {
    logger.info(
      `Platforms ${promoted.change.kept.join(', ')} selected: the promoted index is ${promoted.digest}, not ${root.digest}`,
    );
  }

  const current = await Promise.all(
    inputs.targets.map(async (target) => ({ target, previous: await currentDigest(client, target) })),
  );
  const decisions = decideTargets(current, promoted.digest, inputs.immutableTags, inputs.force);
  for (const d of decisions) {
    logger.info(`${formatTarget(d.target)}: ${d.action}${d.previous ? ` (was ${d.previous})` : ''}`);
  }

  const needsGraph = decisions.some(
    (d) => d.action !== 'unchanged' && routeOf(sourceRepo, d.target) !== 'same-repository',
  );
  const graph = needsGraph
    ? await walkGraph(client, sourceRepo, root.digest, { referrers: inputs.referrers, logger })
    : undefined;

  const notes: string[] = [];
  if (promoted.change && graph) {
    const left = graph.outgoing(root.digest, ['referrer', 'cosign-tag']).length;
    if (left > 0) {
      notes.push(
        `${left} artifact(s) attached to the source index ${root.digest} were not copied: they belong to that index, not to the new index ${promoted.digest}. Sign the new digest if its consumers require a signature.`,
      );
    }
  }

  const base = {
    source: sourceText,
    sourceDigest: root.digest,
    digest: promoted.digest,
    platformChange: promoted.change,
    gates,
    dryRun: inputs.dryRun,
    immutablePatterns: inputs.immutableTags.patterns,
    notes,
  };

  if (inputs.dryRun) {
    const targets: TargetReport[] = [];
    for (const d of decisions) targets.push(await planTarget(client, d, sourceRepo, graph, promoted, root.digest));
    return { ...base, targets };
  }

  // Every graph first, by digest and without tags; then the tags. A failure in between leaves
  // complete, untagged images behind and no tag moved.
  const reports: TargetReport[] = [];
  const referrers = graph ? countReferrers(graph, copiedSet(graph, promoted.starts)) : 0;
  for (const d of decisions) {
    if (d.action === 'unchanged') {
      reports.push({
        ...d,
        route: routeOf(sourceRepo, d.target),
        manifests: 0,
        referrers: 0,
        blobs: noBlobs(),
        bytes: 0,
      });
      continue;
    }
    const result = await copyImage(
      client,
      { registry: source.registry, repository: source.repository, digest: root.digest },
      { registry: d.target.registry, repository: d.target.repository },
      {
        referrers: inputs.referrers,
        tags: [],
        logger,
        ...(inputs.platforms ? { platforms: inputs.platforms } : {}),
        ...(graph ? { graph } : {}),
      },
    );
    if (result.digest !== promoted.digest) {
      throw new OperationError(
        `Promoting ${root.digest} to ${formatTarget(d.target)}`,
        `the copy produced ${result.digest}, expected ${promoted.digest}; no tag was written`,
      );
    }
    // The target's own signatures are never replaced: say what happened to them.
    for (const c of result.cosignTags) {
      if ((c.action === 'kept' || c.action === 'merged') && c.detail) {
        const text = `${d.target.registry}/${d.target.repository}:${c.tag} ${c.action === 'merged' ? 'merged with the target’s own' : 'kept'}: ${c.detail}`;
        if (!notes.includes(text)) notes.push(text);
        logger.info(text);
      }
    }
    const r = fromCopy(d, result, result.mode === 'same-repository' ? 0 : referrers);
    logger.info(
      `${formatTarget(d.target)}: ${r.manifests - 1} manifests copied (the tag follows); blobs ${r.blobs.mounted} mounted, ${r.blobs.existed} present, ${r.blobs.uploaded} uploaded (${r.bytes} bytes)`,
    );
    reports.push(r);
  }

  for (const r of reports) {
    if (r.action === 'unchanged') continue;
    // The tag may have moved since it was checked: decide again on what is there now.
    const present = await currentDigest(client, r.target);
    if (present !== r.previous) {
      const again = decideTarget(r.target, present, promoted.digest, inputs.immutableTags, inputs.force);
      Object.assign(r, { previous: again.previous, action: again.action, forced: again.forced });
      if (again.action === 'unchanged') continue;
    }
    const put = await client.putManifest(repoOf(r.target), r.target.tag, promoted.bytes, promoted.mediaType);
    if (put.digest !== promoted.digest) {
      throw new OperationError(
        `Tagging ${formatTarget(r.target)}`,
        `the registry stored the manifest as ${put.digest}, expected ${promoted.digest}`,
      );
    }
    logger.info(`${formatTarget(r.target)} -> ${promoted.digest}`);
  }
  return { ...base, targets: reports };
}
