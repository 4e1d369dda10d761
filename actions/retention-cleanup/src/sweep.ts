// Carries a plan out, and writes what is needed to undo it first: the restore file holds every
// manifest to be deleted and every tag to be removed (repository, tag -> digest, manifest bytes),
// in push order, so tags can be put back while the registry still holds the blobs.
import type { RepositoryRef } from '#shared/oci/client.js';
import type { Provider } from './providers.js';
import type { RepositoryPlan } from './plan.js';

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

/** Deletes in plan order. Any failure stops the sweep of this repository (nothing after it is touched). */
export async function sweep(provider: Provider, repo: RepositoryRef, plan: RepositoryPlan): Promise<SweepResult> {
  const result: SweepResult = { deleted: [], skipped: [], untagged: [], stuck: [] };
  for (const u of plan.untags) {
    const r = await provider.untag(repo, u.tag);
    if (r.removed) result.untagged.push({ tag: u.tag, digest: u.digest });
    else result.stuck.push({ tag: u.tag, digest: u.digest, why: r.why });
  }
  for (const d of plan.deletions) {
    const outcome = await provider.deleteManifest(repo, d);
    if (outcome.result === 'skipped') result.skipped.push({ digest: d.digest, tags: d.tags, why: outcome.why });
    else result.deleted.push({ digest: d.digest, tags: d.tags, reason: d.reason, outcome: outcome.result });
  }
  return result;
}
