// sync-delete: removes target tags that no longer exist at the source without breaking anything
// still referenced. Registries such as distribution refuse DELETE by tag and delete a digest
// with every tag on it, so a digest goes only when no kept tag points at it and no kept index
// lists it; its attachments (cosign tags, referrers tag index and the referrers it lists) go
// with it. A doomed tag that shares its digest with a kept tag is untagged where the registry
// can, and otherwise left and reported. The plan fails closed: a kept tag that cannot be read
// stops every deletion, and more deletions than max-deletions delete nothing.
import { describeError } from '#shared/errors.js';
import type { Logger } from '#shared/action/log.js';
import type { Descriptor, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { limiter } from '#shared/oci/graph.js';
import { isIndexMediaType } from '#shared/oci/media-types.js';
import { isNotFound, parseDigestTag, referrersTag } from '#shared/oci/referrers.js';

export type DeleteClient = Pick<
  RegistryClient,
  'listTags' | 'headManifest' | 'getManifest' | 'deleteManifest' | 'deleteTag'
>;

export interface DeletionOutcome {
  /** tags that are gone (deleted with their digest, or untagged) */
  deleted: string[];
  /** manifests deleted by digest (images, their children and attachments) */
  manifests: string[];
  /** tags left in place, with the reason */
  kept: { tag: string; reason: string }[];
  /** the whole deletion was refused (fail closed); nothing was deleted */
  refused?: string;
  /** a deletion that failed part-way (what was deleted before it stays deleted) */
  error?: string;
}

interface Planned {
  /** the doomed tags on this digest */
  tags: string[];
  digest: string;
  /** manifests deleted with it, the root first */
  manifests: string[];
}

const childrenOf = (json: unknown): string[] => {
  const list = (json as { manifests?: Descriptor[] })?.manifests;
  return Array.isArray(list) ? list.map((d) => d?.digest).filter((d): d is string => typeof d === 'string') : [];
};

export async function deleteTags(
  client: DeleteClient,
  repo: RepositoryRef,
  doomedTags: readonly string[],
  options: { maxDeletions: number; dryRun: boolean; parallel: number; logger: Logger },
): Promise<DeletionOutcome> {
  const out: DeletionOutcome = { deleted: [], manifests: [], kept: [] };
  const where = `${repo.registry}/${repo.repository}`;
  const limit = limiter(options.parallel);
  try {
    // Listed again after mirroring: a tag pushed meanwhile counts as kept.
    const tags = await client.listTags(repo);
    const doomed = new Set(doomedTags.filter((t) => tags.includes(t)));
    const digestOfTag = new Map<string, { digest: string; mediaType: string }>();
    await Promise.all(
      tags
        .filter((t) => !parseDigestTag(t) || doomed.has(t))
        .map(async (t) => {
          const d = await limit(() => client.headManifest(repo, t));
          if (!d) {
            throw new Error(`tag ${t} is listed but cannot be read (HEAD answered 404); deleting nothing`);
          }
          digestOfTag.set(t, { digest: d.digest, mediaType: d.mediaType });
        }),
    );

    // Everything a kept tag reaches through index children stays.
    const keptTags = [...digestOfTag.keys()].filter((t) => !doomed.has(t));
    const keptDigests = new Set<string>();
    const keepClosure = async (digest: string, mediaType: string): Promise<void> => {
      if (keptDigests.has(digest)) return;
      keptDigests.add(digest);
      if (!isIndexMediaType(mediaType)) return;
      const index = await limit(() => client.getManifest(repo, digest));
      const children = (index.json?.manifests ?? []) as Descriptor[];
      await Promise.all(children.map((c) => keepClosure(c.digest, c.mediaType)));
    };
    await Promise.all(keptTags.map((t) => keepClosure(digestOfTag.get(t)!.digest, digestOfTag.get(t)!.mediaType)));

    const plans: Planned[] = [];
    const untag: string[] = [];
    const planned = new Set<string>();
    // Doomed tags grouped by digest: one DELETE removes them all.
    const byDigest = new Map<string, string[]>();
    for (const tag of [...doomed].sort()) {
      const { digest } = digestOfTag.get(tag)!;
      if (keptDigests.has(digest)) {
        const sharing = keptTags.filter((t) => digestOfTag.get(t)!.digest === digest);
        if (sharing.length > 0) untag.push(tag);
        else out.kept.push({ tag, reason: `its image ${digest} is part of an index a kept tag points at` });
        continue;
      }
      byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
    }
    for (const [digest, group] of byDigest) {
      const { mediaType } = digestOfTag.get(group[0]!)!;
      planned.add(digest);
      const manifests = [digest];
      const subjects = [digest];
      if (isIndexMediaType(mediaType)) {
        const index = await client.getManifest(repo, digest);
        for (const c of childrenOf(index.json)) {
          if (keptDigests.has(c) || planned.has(c)) continue;
          planned.add(c);
          manifests.push(c);
          subjects.push(c);
        }
      }
      // Attachments: cosign tags and the referrers tag index with what it lists.
      for (const s of subjects) {
        const base = referrersTag(s);
        for (const t of [`${base}.sig`, `${base}.att`, `${base}.sbom`, base]) {
          if (!tags.includes(t)) continue;
          let m: Awaited<ReturnType<DeleteClient['getManifest']>>;
          try {
            m = await client.getManifest(repo, t);
          } catch (err) {
            if (isNotFound(err)) continue;
            throw err;
          }
          const listed = t === base ? childrenOf(m.json) : [];
          for (const d of [...listed, m.digest]) {
            if (keptDigests.has(d) || planned.has(d)) continue;
            planned.add(d);
            manifests.push(d);
          }
        }
      }
      plans.push({ tags: group, digest, manifests });
    }

    const count = plans.reduce((n, p) => n + p.manifests.length, 0) + untag.length;
    if (count > options.maxDeletions) {
      out.refused = `removing ${doomed.size} tag(s) takes ${count} deletions, more than max-deletions (${options.maxDeletions}); nothing was deleted`;
      options.logger.warning(`${where}: ${out.refused}`);
      return out;
    }
    if (options.dryRun) {
      for (const p of plans) {
        out.deleted.push(...p.tags);
        out.manifests.push(...p.manifests);
      }
      out.deleted.push(...untag);
      return out;
    }

    for (const tag of untag) {
      if (await client.deleteTag(repo, tag)) {
        out.deleted.push(tag);
      } else {
        const sharing = keptTags.filter((t) => digestOfTag.get(t)!.digest === digestOfTag.get(tag)!.digest);
        out.kept.push({
          tag,
          reason: `it points at the same image as the kept tag(s) ${sharing.join(', ')}, and the registry cannot remove a tag alone (deleting the digest would remove them too)`,
        });
      }
    }
    for (const p of plans) {
      // Checked right before the delete: a doomed tag moved elsewhere meanwhile is kept, and so
      // is the digest.
      const now = await Promise.all(p.tags.map((t) => limit(() => client.headManifest(repo, t))));
      const moved = p.tags.filter((_, i) => now[i] && now[i]!.digest !== p.digest);
      if (moved.length > 0) {
        for (const t of p.tags)
          out.kept.push({ tag: t, reason: `${moved.join(', ')} moved while the deletion was planned` });
        continue;
      }
      for (const d of p.manifests) {
        await client.deleteManifest(repo, d);
        out.manifests.push(d);
      }
      out.deleted.push(...p.tags);
      options.logger.info(
        `${where}: ${p.tags.join(', ')} deleted (${p.digest}, with ${p.manifests.length - 1} attached or child manifest(s))`,
      );
    }
  } catch (err) {
    out.error = describeError(err);
    options.logger.warning(`${where}: deleting tags that left the source: ${out.error}`);
  }
  return out;
}
