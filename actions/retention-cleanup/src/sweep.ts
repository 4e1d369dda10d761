// Carries a plan out, and writes what is needed to undo it first: the restore file holds every
// manifest to be deleted and every tag to be removed (repository, tag -> digest, manifest bytes),
// in push order, so tags can be put back while the registry still holds the blobs. Between the
// plan and the deletes, other jobs keep pushing: the tags are listed once more right before the
// sweep, and whatever a new or moved tag now leads to is left alone and reported.
import type { RepositoryRef } from '#shared/oci/client.js';
import { walkGraph } from '#shared/oci/graph.js';
import type { Provider, RepositoryPlan } from './model.js';
import { IncompleteListingError } from './providers.js';

export interface RestoreEntry {
  repository: string;
  digest: string;
  mediaType: string;
  tags: string[];
  /** base64 of the byte-exact manifest */
  manifest: string;
}

export interface RestoreFile {
  version: 1;
  created: string;
  /** push in this order: children and subjects before what points at them */
  entries: RestoreEntry[];
}

export function restoreFile(plans: readonly RepositoryPlan[], now: Date): RestoreFile {
  const entries: RestoreEntry[] = [];
  for (const plan of plans) {
    for (const d of [...plan.deletions].reverse()) {
      entries.push({
        repository: plan.repository,
        digest: d.digest,
        mediaType: d.mediaType,
        tags: d.tags,
        manifest: d.bytes.toString('base64'),
      });
    }
    for (const u of plan.untags) {
      entries.push({
        repository: plan.repository,
        digest: u.digest,
        mediaType: u.mediaType,
        tags: [u.tag],
        manifest: u.bytes.toString('base64'),
      });
    }
  }
  return { version: 1, created: now.toISOString(), entries };
}

export interface SweepResult {
  deleted: { digest: string; tags: string[]; reason: string; outcome: 'deleted' | 'already-gone' }[];
  skipped: { digest: string; tags: string[]; why: string }[];
  untagged: { tag: string; digest: string }[];
  stuck: { tag: string; digest: string; why: string }[];
}

export interface SweepLogger {
  warning(message: string): void;
  debug(message: string): void;
}

const short = (digest: string) => `${digest.slice(0, 19)}…`;

/**
 * Which planned deletions must stay because the repository changed since the plan: each tag that
 * is new or points elsewhere now protects what it leads to (a digest of the plan, with everything
 * the plan's graph reaches from it; a manifest the plan never saw, walked now). Returns why, by digest.
 */
export async function changedSincePlan(
  provider: Provider,
  repo: RepositoryRef,
  plan: RepositoryPlan,
  now: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const doomed = new Set(plan.deletions.map((d) => d.digest));
  const known = new Set<string>();
  const next = new Map<string, string[]>();
  for (const e of plan.edges) {
    known.add(e.from);
    next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  for (const d of plan.tags.values()) known.add(d);
  for (const d of doomed) known.add(d);
  const gained = new Map<string, string[]>();
  for (const [tag, digest] of now) {
    if (plan.tags.get(tag) === digest) continue;
    gained.set(digest, [...(gained.get(digest) ?? []), tag]);
  }
  const why = new Map<string, string>();
  const protect = (from: string, reason: (digest: string) => string, edges: Map<string, string[]>) => {
    const stack = [from];
    const seen = new Set<string>();
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      if (seen.has(d)) continue;
      seen.add(d);
      if (doomed.has(d) && !why.has(d)) why.set(d, reason(d));
      stack.push(...(edges.get(d) ?? []));
    }
  };
  for (const [digest, tags] of [...gained].sort(([a], [b]) => a.localeCompare(b))) {
    const names = tags.sort().join(', ');
    const reason = (d: string) =>
      d === digest
        ? `it gained tag(s) ${names} after the plan`
        : `${short(digest)} gained tag(s) ${names} after the plan and leads to it`;
    if (known.has(digest)) {
      protect(digest, reason, next);
      continue;
    }
    // a manifest pushed since the plan (a new index over planned platform images, say)
    const graph = await walkGraph(provider.registry, repo, digest, { tags: [...now.keys()] });
    const edges = new Map<string, string[]>();
    for (const e of graph.edges) edges.set(e.from, [...(edges.get(e.from) ?? []), e.to]);
    protect(digest, reason, edges);
  }
  return why;
}

/** Deletes in plan order. Any failure stops the sweep of this repository (nothing after it is touched). */
export async function sweep(
  provider: Provider,
  repo: RepositoryRef,
  plan: RepositoryPlan,
  logger?: SweepLogger,
): Promise<SweepResult> {
  const result: SweepResult = { deleted: [], skipped: [], untagged: [], stuck: [] };
  if (plan.deletions.length === 0 && plan.untags.length === 0) return result;
  const now = (
    await provider.inventory(repo).catch((err: unknown) => {
      throw err instanceof IncompleteListingError
        ? err.consequence(`nothing in ${plan.repository} was deleted (the re-check before deleting failed)`)
        : err;
    })
  ).tags;
  const changed = await changedSincePlan(provider, repo, plan, now);
  for (const u of plan.untags) {
    const current = now.get(u.tag);
    if (current !== u.digest) {
      const why = current ? `it moved to ${short(current)} after the plan` : 'it was removed after the plan';
      result.stuck.push({ tag: u.tag, digest: u.digest, why });
      logger?.warning(`${plan.repository}: tag ${u.tag} not removed: ${why}`);
      continue;
    }
    const r = await provider.untag(repo, u.tag);
    if (r.removed) result.untagged.push({ tag: u.tag, digest: u.digest });
    else result.stuck.push({ tag: u.tag, digest: u.digest, why: r.why });
  }
  for (const d of plan.deletions) {
    const why = changed.get(d.digest);
    if (why) {
      result.skipped.push({ digest: d.digest, tags: d.tags, why });
      logger?.warning(`${plan.repository}: ${d.digest} not deleted: ${why}`);
      continue;
    }
    // only the tags that still name this digest (a tag that moved on belongs to another image now)
    const tags = d.tags.filter((t) => now.get(t) === d.digest);
    const outcome = await provider.deleteManifest(repo, { ...d, tags });
    if (outcome.result === 'skipped') result.skipped.push({ digest: d.digest, tags: d.tags, why: outcome.why });
    else result.deleted.push({ digest: d.digest, tags, reason: d.reason, outcome: outcome.result });
  }
  return result;
}
