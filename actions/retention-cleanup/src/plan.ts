// The retention plan of one repository, by mark and sweep over the image graph: list every tag
// (and every version where the provider lists untagged ones), walk the graph of each root once
// (shared manifests and configs fetched once per run), decide each root with a reason, mark
// everything reachable from the kept roots, and plan to delete only the rest, parents first.
import { type GraphClient, type GraphEdge, type GraphNode, limiter, walkGraph } from '#shared/oci/graph.js';
import type { Descriptor, ManifestResult, RepositoryRef } from '#shared/oci/client.js';
import { parseDigestTag } from '#shared/oci/referrers.js';
import { IncompleteListingError } from './providers.js';
import type {
  Inventory,
  PlannedDeletion,
  Provider,
  Referenced,
  RepositoryPlan,
  RetentionPolicy,
  RootDecision,
} from './model.js';

export type { Decision, PlannedDeletion, Referenced, RepositoryPlan, RetentionPolicy, RootDecision } from './model.js';

export interface PlanOptions {
  policy: RetentionPolicy;
  referenced: Referenced;
  now: number;
  concurrency?: number;
  logger?: { debug(message: string): void; info(message: string): void };
}

const CREATED = 'org.opencontainers.image.created';

/**
 * A graph client that serves every manifest from one cache keyed by digest (tags resolved from
 * the inventory), so a manifest reached from several roots is fetched once, and that stops
 * asking for the referrers API after the registry said once that it has none.
 */
export class CachingGraphClient implements GraphClient {
  private readonly manifests = new Map<string, Promise<ManifestResult>>();
  private referrersSupported: boolean | undefined;
  constructor(
    private readonly inner: GraphClient,
    private readonly tags: ReadonlyMap<string, string>,
  ) {}

  getManifest(repo: RepositoryRef, reference: string): Promise<ManifestResult> {
    const digest = reference.includes(':') ? reference : this.tags.get(reference);
    if (!digest) return this.inner.getManifest(repo, reference);
    const cached = this.manifests.get(digest);
    if (cached) return cached;
    const p = this.inner.getManifest(repo, digest);
    this.manifests.set(digest, p);
    p.catch(() => this.manifests.delete(digest));
    return p;
  }

  async listTags(): Promise<string[]> {
    return [...this.tags.keys()].sort();
  }

  async referrersApi(repo: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[] | null> {
    if (this.referrersSupported === false) return null;
    const answer = await this.inner.referrersApi(repo, digest, artifactType);
    if (this.referrersSupported === undefined) this.referrersSupported = answer !== null;
    return answer;
  }

  /** false once the registry answered without the referrers API */
  get referrersKnown(): boolean | undefined {
    return this.referrersSupported;
  }
}

interface UnionGraph {
  nodes: Map<string, GraphNode>;
  edges: GraphEdge[];
}

function reachable(graph: UnionGraph, from: Iterable<string>): Set<string> {
  const byFrom = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = byFrom.get(e.from) ?? [];
    list.push(e.to);
    byFrom.set(e.from, list);
  }
  const out = new Set<string>();
  const stack = [...from];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    if (out.has(d)) continue;
    out.add(d);
    for (const to of byFrom.get(d) ?? []) stack.push(to);
  }
  return out;
}

/** Orders deletions so that whatever points at a manifest (index, subject) goes before it. */
export function deletionOrder(digests: ReadonlySet<string>, edges: readonly GraphEdge[]): string[] {
  const incoming = new Map<string, number>();
  const next = new Map<string, string[]>();
  for (const d of digests) incoming.set(d, 0);
  for (const e of edges) {
    if (!digests.has(e.from) || !digests.has(e.to) || e.from === e.to) continue;
    const list = next.get(e.from) ?? [];
    if (list.includes(e.to)) continue;
    list.push(e.to);
    next.set(e.from, list);
    incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  }
  const order: string[] = [];
  let ready = [...digests].filter((d) => incoming.get(d) === 0).sort();
  while (ready.length > 0) {
    const wave: string[] = [];
    for (const d of ready) {
      order.push(d);
      for (const to of next.get(d) ?? []) {
        const left = (incoming.get(to) ?? 0) - 1;
        incoming.set(to, left);
        if (left === 0) wave.push(to);
      }
    }
    ready = wave.sort();
  }
  // A cycle (a referrer of its own referrer) cannot be ordered; what remains goes last.
  for (const d of [...digests].sort()) if (!order.includes(d)) order.push(d);
  return order;
}

function formatAge(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${Math.floor(days)}d` : `${Math.floor(ms / 3_600_000)}h`;
}

/** Plans one repository. Reads only; deletes nothing. */
export async function planRepository(
  provider: Provider,
  repo: RepositoryRef,
  options: PlanOptions,
): Promise<RepositoryPlan> {
  const { policy, referenced, now } = options;
  const name = `${repo.registry}/${repo.repository}`;
  const log = options.logger;
  const inventory: Inventory = await provider.inventory(repo).catch((err: unknown) => {
    throw err instanceof IncompleteListingError ? err.consequence('no plan was made and nothing was deleted') : err;
  });
  const client = new CachingGraphClient(provider.registry, inventory.tags);
  const limit = limiter(options.concurrency ?? 8);
  const notes: string[] = [];

  // Tags that belong to another manifest (cosign `.sig/.att/.sbom`, referrers fallback index)
  // are not roots: they live and die with the digest they name.
  const byDigest = new Map<string, string[]>();
  const attachmentTags = new Map<string, string>();
  for (const [tag, digest] of inventory.tags) {
    const parsed = parseDigestTag(tag);
    if (parsed) {
      attachmentTags.set(tag, parsed.digest);
      continue;
    }
    const list = byDigest.get(digest) ?? [];
    list.push(tag);
    byDigest.set(digest, list);
  }

  const union: UnionGraph = { nodes: new Map(), edges: [] };
  const edgeKeys = new Set<string>();
  const walked = new Set<string>();
  const walk = async (digest: string) => {
    if (walked.has(digest)) return;
    walked.add(digest);
    const apiKnown = client.referrersKnown;
    const graph = await walkGraph(client, repo, digest, {
      tags: [...inventory.tags.keys()],
      concurrency: options.concurrency ?? 8,
      ...(apiKnown === false ? { referrersApi: false } : {}),
      ...(log ? { logger: log } : {}),
    });
    for (const node of graph.nodes.values()) if (!union.nodes.has(node.digest)) union.nodes.set(node.digest, node);
    for (const e of graph.edges) {
      const key = `${e.from} ${e.to} ${e.kind}`;
      if (edgeKeys.has(key)) continue;
      edgeKeys.add(key);
      union.edges.push(e);
    }
  };

  // Roots first one at a time until the registry told whether it has the referrers API, then in parallel.
  const rootDigests = [...byDigest.keys()].sort();
  if (rootDigests.length > 0) await walk(rootDigests[0] as string);
  await Promise.all(rootDigests.slice(1).map((d) => limit(() => walk(d))));

  // Versions no tag points at (GHCR lists them): walk those the tagged graphs did not reach.
  const untaggedVersions = [...(inventory.versions?.keys() ?? [])].filter((d) => !byDigest.has(d)).sort();
  await Promise.all(untaggedVersions.filter((d) => !union.nodes.has(d)).map((d) => limit(() => walk(d))));

  // Attachment tags whose subject no tag leads to. The subject may still be in the registry (an
  // image whose tag moved on, deployed by digest): then it is an untagged root that its
  // signatures live and die with, never a signature deleted from under a surviving image.
  // Registries without a listing of untagged manifests show them only this way.
  // One HEAD per such subject and the walks, all in parallel within the request limit.
  const unreached = [...new Set([...attachmentTags.values()].filter((s) => !union.nodes.has(s)))].sort();
  const present = await Promise.all(
    unreached.map((s) => limit(() => provider.registry.headManifest(repo, s)).then((m) => m !== null)),
  );
  const untaggedSubjects = unreached.filter((_, i) => present[i]);
  await Promise.all(untaggedSubjects.map((s) => limit(() => walk(s))));
  const orphanTags: string[] = [];
  const attachments: string[] = [];
  for (const [tag, subject] of attachmentTags) {
    const digest = inventory.tags.get(tag) as string;
    // attached but not followed (unknown kind), or an orphan: walked from its own tag
    if (!union.nodes.has(subject)) orphanTags.push(tag);
    if (!union.nodes.has(digest)) attachments.push(digest);
  }
  await Promise.all(attachments.map((d) => limit(() => walk(d))));

  // Ages: what the provider knows, else the image's own `created`.
  const configCache = new Map<string, Promise<number | undefined>>();
  const configCreated = (node: GraphNode): Promise<number | undefined> => {
    const config = node.json?.config as Descriptor | undefined;
    if (!config?.digest) return Promise.resolve(undefined);
    let p = configCache.get(config.digest);
    if (!p) {
      p = limit(() => provider.registry.getBlobBytes(repo, config.digest, 4 * 1024 * 1024))
        .then((bytes: Buffer) => parseTime(JSON.parse(bytes.toString('utf8'))?.created))
        .catch(() => undefined);
      configCache.set(config.digest, p);
    }
    return p;
  };
  const ageNeeded = policy.keepLast !== undefined || policy.olderThanMs !== undefined;
  const createdOf = async (digest: string, tags: readonly string[]): Promise<number | undefined> => {
    const fromTags = tags.map((t) => inventory.tagPushed?.get(t)).filter((t): t is number => t !== undefined);
    if (fromTags.length > 0) return Math.max(...fromTags);
    const known = inventory.versions?.get(digest)?.created;
    if (known !== undefined) return known;
    if (!ageNeeded) return undefined;
    const node = union.nodes.get(digest);
    if (!node) return undefined;
    const annotated = parseTime(node.annotations?.[CREATED]);
    if (annotated !== undefined) return annotated;
    if (node.kind === 'manifest') return configCreated(node);
    const children = union.edges
      .filter((e) => e.from === digest && e.kind === 'child')
      .map((e) => union.nodes.get(e.to));
    const times = await Promise.all(
      children.map((c) => (c ? (parseTime(c.annotations?.[CREATED]) ?? configCreated(c)) : undefined)),
    );
    const defined = times.filter((t): t is number => t !== undefined);
    return defined.length > 0 ? Math.max(...defined) : undefined;
  };

  // Decide each tag, then each root digest.
  type TagState = { tag: string; digest: string; created: number | undefined; keep?: string; deletable?: string };
  const states: TagState[] = [];
  const created = new Map<string, number | undefined>();
  await Promise.all(
    rootDigests.map(async (d) => {
      created.set(d, await createdOf(d, byDigest.get(d) ?? []));
    }),
  );
  for (const [digest, tags] of byDigest) {
    for (const tag of tags) {
      const t = inventory.tagPushed?.get(tag) ?? created.get(digest);
      const state: TagState = { tag, digest, created: t };
      const kept = policy.keep.matching(tag);
      if (kept) state.keep = `tag '${tag}' matches keep-tags (${kept})`;
      else if (referenced.tags.has(tag)) state.keep = `tag '${tag}' is referenced in ${referenced.tags.get(tag)}`;
      else if (referenced.digests.has(digest)) state.keep = `digest is referenced in ${referenced.digests.get(digest)}`;
      else if (policy.delete && !policy.delete.matches(tag)) state.keep = `tag '${tag}' does not match delete-tags`;
      states.push(state);
    }
  }
  const candidates = states
    .filter((s) => !s.keep)
    .sort(
      (a, b) =>
        (b.created ?? Number.POSITIVE_INFINITY) - (a.created ?? Number.POSITIVE_INFINITY) || a.tag.localeCompare(b.tag),
    );
  candidates.forEach((s, i) => {
    if (policy.keepLast !== undefined && i < policy.keepLast) {
      s.keep = `tag '${s.tag}' is among the ${policy.keepLast} most recent (keep-last)`;
    } else if (policy.olderThanMs !== undefined && s.created === undefined) {
      s.keep = `tag '${s.tag}' has no known age, so older-than cannot be checked`;
    } else if (policy.olderThanMs !== undefined && now - (s.created as number) < policy.olderThanMs) {
      s.keep = `tag '${s.tag}' is ${formatAge(now - (s.created as number))} old, younger than older-than ${formatAge(policy.olderThanMs)}`;
    } else {
      s.deletable =
        policy.olderThanMs !== undefined
          ? `tag '${s.tag}' is ${formatAge(now - (s.created as number))} old, older than ${formatAge(policy.olderThanMs)}`
          : `tag '${s.tag}' ${policy.delete ? 'matches delete-tags' : 'is not kept by any rule'}`;
    }
  });

  const roots: RootDecision[] = [];
  const keptRoots = new Set<string>();
  for (const digest of rootDigests) {
    const tagStates = states.filter((s) => s.digest === digest).sort((a, b) => a.tag.localeCompare(b.tag));
    const keepers = tagStates.filter((s) => s.keep);
    const c = created.get(digest);
    const root: RootDecision = {
      digest,
      tags: tagStates.map((s) => s.tag),
      decision: keepers.length > 0 ? 'keep' : 'delete',
      reason: keepers.length > 0 ? (keepers[0]?.keep as string) : tagStates.map((s) => s.deletable).join('; '),
      untag: [],
      stuck: [],
    };
    if (c !== undefined) root.created = new Date(c).toISOString();
    if (keepers.length > 0) {
      keptRoots.add(digest);
      for (const s of tagStates.filter((x) => x.deletable)) {
        if (provider.canUntag) root.untag.push(s.tag);
        else root.stuck.push({ tag: s.tag, why: provider.untagLimitation });
      }
    }
    roots.push(root);
  }

  // Untagged versions no tagged graph reaches are roots of their own (nothing else points at them).
  const fromTagged = reachable(union, rootDigests);
  const pointedAt = new Set(union.edges.map((e) => e.to));
  for (const digest of new Set([...untaggedVersions, ...untaggedSubjects])) {
    if (fromTagged.has(digest) || pointedAt.has(digest)) continue;
    const root: RootDecision = {
      digest,
      tags: [],
      decision: 'keep',
      reason: '',
      untag: [],
      stuck: [],
    };
    const c = await createdOf(digest, []);
    if (c !== undefined) root.created = new Date(c).toISOString();
    if (referenced.digests.has(digest)) root.reason = `digest is referenced in ${referenced.digests.get(digest)}`;
    else if (policy.untagged === 'keep') root.reason = 'untagged, and untagged is keep';
    else if (policy.olderThanMs !== undefined && (c === undefined || now - c < policy.olderThanMs))
      root.reason =
        c === undefined
          ? 'untagged, age unknown'
          : `untagged, younger than older-than ${formatAge(policy.olderThanMs)}`;
    else {
      root.decision = 'delete';
      root.reason = 'untagged and not referenced by anything kept';
    }
    if (root.decision === 'keep') keptRoots.add(digest);
    roots.push(root);
  }
  for (const tag of orphanTags) {
    const digest = inventory.tags.get(tag) as string;
    if (roots.some((r) => r.digest === digest)) continue;
    const subject = attachmentTags.get(tag) as string;
    const keep = policy.untagged === 'keep' || referenced.digests.has(digest);
    roots.push({
      digest,
      tags: [...inventory.tags].filter(([, d]) => d === digest).map(([t]) => t),
      decision: keep ? 'keep' : 'delete',
      // keep-tags and delete-tags judge the names people give images; a digest-named tag is the
      // registry's bookkeeping for an attachment, which follows the image it names (else `*` or
      // `!pr-*` would keep the signatures of every deleted image forever). Orphans go by untagged.
      reason: keep
        ? `attached to ${subject.slice(0, 19)}…, which is gone; kept because untagged is keep`
        : `attached to ${subject.slice(0, 19)}…, which is no longer in the repository (attachment tags follow the image they name, not keep-tags; untagged: keep keeps orphans)`,
      untag: [],
      stuck: [],
    });
    if (keep) keptRoots.add(digest);
  }
  // A manifest the deployment files pin by digest (a platform child, say) is a kept root too.
  for (const digest of referenced.digests.keys()) if (union.nodes.has(digest)) keptRoots.add(digest);

  // Mark and sweep.
  const marked = reachable(union, keptRoots);
  const doomed = new Set<string>();
  for (const node of union.nodes.values())
    if (node.kind !== 'blob' && !marked.has(node.digest)) doomed.add(node.digest);
  const tagsOf = new Map<string, string[]>();
  for (const [tag, digest] of inventory.tags) tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), tag].sort());
  const rootReason = new Map(roots.map((r) => [r.digest, r.reason]));
  const parentOf = new Map<string, GraphEdge>();
  for (const e of union.edges) if (!parentOf.has(e.to)) parentOf.set(e.to, e);
  const deletions: PlannedDeletion[] = deletionOrder(doomed, union.edges).map((digest) => {
    const node = union.nodes.get(digest) as GraphNode;
    const parent = parentOf.get(digest);
    const reason =
      rootReason.get(digest) ??
      (parent
        ? `${parent.kind === 'child' ? 'platform manifest' : parent.kind === 'config' ? 'part' : 'attachment'} of ${parent.from.slice(0, 19)}…, which is deleted`
        : 'not reachable from any kept image');
    const d: PlannedDeletion = {
      digest,
      tags: tagsOf.get(digest) ?? [],
      mediaType: node.mediaType,
      kind: node.kind === 'index' ? 'index' : 'manifest',
      role: node.role,
      size: node.size,
      reason,
      bytes: node.bytes ?? Buffer.alloc(0),
    };
    const id = inventory.versions?.get(digest)?.id;
    if (id !== undefined) d.versionId = id;
    return d;
  });

  let reclaimable = 0;
  for (const node of union.nodes.values()) if (!marked.has(node.digest) && !node.foreign) reclaimable += node.size;

  const untags: RepositoryPlan['untags'] = [];
  for (const root of roots) {
    const node = union.nodes.get(root.digest);
    for (const tag of root.untag) {
      untags.push({
        tag,
        digest: root.digest,
        bytes: node?.bytes ?? Buffer.alloc(0),
        mediaType: node?.mediaType ?? '',
      });
    }
  }
  if (inventory.versions) {
    const unknown = [...union.nodes.values()].filter((n) => n.kind !== 'blob' && !inventory.versions?.has(n.digest));
    if (unknown.length > 0)
      notes.push(`${unknown.length} manifest(s) in the registry have no package version in the API listing`);
  }
  log?.info(
    `${name}: ${inventory.tags.size} tags, ${union.nodes.size} graph nodes, ${deletions.length} manifest(s) to delete, ${untags.length} tag(s) to remove`,
  );
  return {
    repository: name,
    provider: provider.kind,
    tagCount: inventory.tags.size,
    tags: inventory.tags,
    edges: union.edges,
    manifestCount: [...union.nodes.values()].filter((n) => n.kind !== 'blob').length,
    roots,
    deletions,
    untags,
    keptReachable: [...marked].filter((d) => union.nodes.get(d)?.kind !== 'blob' && !keptRoots.has(d)).length,
    reclaimableBytes: reclaimable,
    notes,
  };
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
