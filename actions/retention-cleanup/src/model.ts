// The data a retention run passes between its parts: the policy, what the providers list and
// how they delete, and the plan that comes out of the mark and sweep. One home for these types,
// so that planning, providers and the sweep depend on it and not on each other.
import type { RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import type { GraphEdge, GraphNode } from '#shared/oci/graph.js';
import type { TagMatcher } from '#shared/policy/tag-patterns.js';

export type ProviderKind = 'oci' | 'ghcr' | 'dockerhub';

export interface Inventory {
  /** tag -> digest, every tag of the repository */
  tags: Map<string, string>;
  /** when each tag was last pushed (epoch ms), where the provider says (Docker Hub) */
  tagPushed?: Map<string, number>;
  /** every manifest the provider lists, tagged or not (GHCR package versions) */
  versions?: Map<string, { id: number; created?: number }>;
}

export type RegistryAccess = Pick<
  RegistryClient,
  'getManifest' | 'headManifest' | 'listTags' | 'referrersApi' | 'getBlobBytes' | 'deleteManifest' | 'deleteTag'
>;

export type DeleteOutcome = { result: 'deleted' | 'already-gone' } | { result: 'skipped'; why: string };

export interface Provider {
  readonly kind: ProviderKind;
  /** reads manifests and configs for the graph */
  readonly registry: RegistryAccess;
  /** whether one tag can be removed while its digest stays */
  readonly canUntag: boolean;
  /** why a tag cannot be removed alone, when canUntag is false */
  readonly untagLimitation: string;
  inventory(repo: RepositoryRef): Promise<Inventory>;
  /** false with a reason when the registry refused to remove only the tag */
  untag(repo: RepositoryRef, tag: string): Promise<{ removed: true } | { removed: false; why: string }>;
  deleteManifest(repo: RepositoryRef, deletion: PlannedDeletion): Promise<DeleteOutcome>;
}

export interface RetentionPolicy {
  keep: TagMatcher;
  /** undefined: every tag not kept may be deleted */
  delete?: TagMatcher;
  keepLast?: number;
  olderThanMs?: number;
  untagged: 'delete' | 'keep';
}

/** Where a tag or digest of this repository appears in the deployment files. */
export interface Referenced {
  tags: Map<string, string>;
  digests: Map<string, string>;
}

export type Decision = 'keep' | 'delete';

export interface RootDecision {
  digest: string;
  tags: string[];
  decision: Decision;
  reason: string;
  /** tags removed from a kept digest (where the registry can untag) */
  untag: string[];
  /** tags that should go but stay, with why */
  stuck: { tag: string; why: string }[];
  created?: string;
}

export interface PlannedDeletion {
  digest: string;
  tags: string[];
  mediaType: string;
  kind: 'index' | 'manifest';
  role: GraphNode['role'];
  size: number;
  reason: string;
  /** the manifest bytes, for the restore file */
  bytes: Buffer;
  /** the provider's id (GHCR package version) when it has one */
  versionId?: number;
}

export interface RepositoryPlan {
  repository: string;
  provider: ProviderKind;
  tagCount: number;
  manifestCount: number;
  roots: RootDecision[];
  /** in execution order: every manifest after those that point at it */
  deletions: PlannedDeletion[];
  untags: { tag: string; digest: string; bytes: Buffer; mediaType: string }[];
  /** tag -> digest of every tag as planned, to see what changed before the sweep */
  tags: ReadonlyMap<string, string>;
  /** every edge of the graph the plan marked (children, blobs, attachments) */
  edges: readonly GraphEdge[];
  /** kept manifests that are not roots (children, attachments), counted by why */
  keptReachable: number;
  reclaimableBytes: number;
  notes: string[];
}
