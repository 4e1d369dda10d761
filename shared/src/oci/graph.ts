// Everything that belongs to an image, as one graph: from a root manifest or index through its
// child manifests (nested indexes too) to configs and layers, plus the referrers (API and
// `sha256-<hex>` tag schema) and cosign tags of every manifest, recursively. Promote copies the
// whole graph; retention marks what is reachable from the kept roots. Nodes are keyed by digest,
// so a manifest or blob shared by several parents is one node with several incoming edges.
import { OperationError } from '../errors.js';
import type { Descriptor, ManifestResult, Platform, RegistryClient, RepositoryRef } from './client.js';
import { isImageManifestMediaType, isIndexMediaType } from './media-types.js';
import {
  type CosignTagKind,
  cosignTagsOf,
  isSignatureLike,
  listReferrers,
  type ReferrerSelection,
  referrersTag,
  selectsReferrer,
  subjectOf,
} from './referrers.js';

export type NodeKind = 'index' | 'manifest' | 'blob';

/** Why a node is in the graph: part of the image itself, or attached to it. */
export type NodeRole = 'image' | 'referrer' | 'cosign' | 'referrers-index';

export type EdgeKind = 'child' | 'config' | 'layer' | 'referrer' | 'cosign-tag' | 'referrers-index';

export interface GraphNode {
  digest: string;
  kind: NodeKind;
  mediaType: string;
  size: number;
  role: NodeRole;
  /** byte-exact body, for manifests and indexes */
  bytes?: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: parsed manifest JSON
  json?: any;
  artifactType?: string;
  /** the platform of the first index entry that named this node */
  platform?: Platform;
  annotations?: Record<string, string>;
  /** the digest this node is attached to: its `subject`, or the digest its cosign tag names */
  subject?: string;
  /** blobs with `urls` that registries do not hold (foreign layers) */
  foreign?: boolean;
  /** tags known to point at this node */
  tags: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** the tag that made the edge, for cosign-tag and referrers-index edges */
  tag?: string;
  /** cosign-tag edges: which of cosign's artifacts */
  cosignKind?: CosignTagKind;
}

const FOREIGN_LAYER = /\.foreign\./;

export class ImageGraph {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges: GraphEdge[] = [];
  /** tag -> digest for every tag the walk saw pointing into the graph */
  readonly tags = new Map<string, string>();
  private readonly edgeKeys = new Set<string>();

  constructor(
    readonly repo: RepositoryRef,
    readonly root: string,
  ) {}

  node(digest: string): GraphNode | undefined {
    return this.nodes.get(digest);
  }

  addNode(node: GraphNode): GraphNode {
    const have = this.nodes.get(node.digest);
    if (have) return have;
    this.nodes.set(node.digest, node);
    return node;
  }

  addEdge(edge: GraphEdge): void {
    const key = `${edge.from} ${edge.kind} ${edge.to} ${edge.tag ?? ''}`;
    if (this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push(edge);
  }

  addTag(tag: string, digest: string): void {
    this.tags.set(tag, digest);
    const node = this.nodes.get(digest);
    if (node && !node.tags.includes(tag)) node.tags.push(tag);
  }

  outgoing(digest: string, kinds?: readonly EdgeKind[]): GraphEdge[] {
    return this.edges.filter((e) => e.from === digest && (!kinds || kinds.includes(e.kind)));
  }

  /** Manifests and indexes (everything with bytes). */
  manifests(): GraphNode[] {
    return [...this.nodes.values()].filter((n) => n.kind !== 'blob');
  }

  blobs(): GraphNode[] {
    return [...this.nodes.values()].filter((n) => n.kind === 'blob');
  }

  /** Every digest reachable from `from` (included) along the given edge kinds (default: all). */
  reachable(from: Iterable<string>, kinds?: readonly EdgeKind[]): Set<string> {
    const out = new Set<string>();
    const stack = [...from];
    const byFrom = new Map<string, GraphEdge[]>();
    for (const e of this.edges) {
      if (kinds && !kinds.includes(e.kind)) continue;
      const list = byFrom.get(e.from) ?? [];
      list.push(e);
      byFrom.set(e.from, list);
    }
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      if (out.has(d)) continue;
      out.add(d);
      for (const e of byFrom.get(d) ?? []) stack.push(e.to);
    }
    return out;
  }

  /**
   * Manifests in an order that pushes every manifest after what it needs: child manifests before
   * their index, and an attached artifact after the manifest it is attached to. Each inner array
   * holds manifests that can be pushed together. `only` limits the result to those digests.
   * Attachments can form cycles through tags (two manifests tagged as each other's signature);
   * such an order is only a preference, so a cycle of attachments is pushed as one wave. Child
   * edges cannot form a cycle (an index would have to contain its own digest).
   */
  pushWaves(only?: ReadonlySet<string>): GraphNode[][] {
    const manifests = this.manifests().filter((n) => !only || only.has(n.digest));
    const included = new Set(manifests.map((n) => n.digest));
    const hard = new Map<string, Set<string>>();
    const soft = new Map<string, Set<string>>();
    for (const n of manifests) {
      hard.set(n.digest, new Set());
      soft.set(n.digest, new Set());
    }
    for (const e of this.edges) {
      if (!included.has(e.from) || !included.has(e.to) || e.from === e.to) continue;
      if (e.kind === 'child') hard.get(e.from)!.add(e.to);
      else if (e.kind === 'referrer' || e.kind === 'cosign-tag' || e.kind === 'referrers-index')
        soft.get(e.to)!.add(e.from);
    }
    const waves: GraphNode[][] = [];
    const done = new Set<string>();
    const met = (deps: Set<string>) => [...deps].every((d) => done.has(d));
    let left = manifests;
    while (left.length > 0) {
      let ready = left.filter((n) => met(hard.get(n.digest)!) && met(soft.get(n.digest)!));
      if (ready.length === 0) ready = left.filter((n) => met(hard.get(n.digest)!));
      if (ready.length === 0)
        throw new OperationError(`ordering the manifests of ${this.root}`, 'the index children form a cycle');
      for (const n of ready) done.add(n.digest);
      waves.push(ready.sort((a, b) => a.digest.localeCompare(b.digest)));
      left = left.filter((n) => !done.has(n.digest));
    }
    return waves;
  }
}

/** Runs at most `limit` tasks at a time. */
export function limiter(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  const max = Math.max(1, Math.floor(limit));
  let active = 0;
  const queue: (() => void)[] = [];
  const next = () => {
    if (active >= max) return;
    const start = queue.shift();
    if (start) {
      active++;
      start();
    }
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => {
        task()
          .then(resolve, reject)
          .finally(() => {
            active--;
            next();
          });
      });
      next();
    });
}

/** The client methods a walk needs (RegistryClient has them all). */
export type GraphClient = Pick<RegistryClient, 'getManifest' | 'listTags' | 'referrersApi'>;

export interface WalkOptions {
  /** which referrers and cosign tags to follow: all (default), signatures only, or none */
  referrers?: ReferrerSelection;
  /** parallel manifest requests (default 8) */
  concurrency?: number;
  /** the repository's tags when the caller already listed them (saves the listing request) */
  tags?: readonly string[];
  /** false when the registry is known to lack the referrers API (skips one 404 per manifest) */
  referrersApi?: boolean;
  logger?: { debug(msg: string): void; warning?(msg: string): void };
}

/**
 * Walks the graph of `reference` (a tag or digest) in `repo`. Each manifest is fetched once; the
 * tag listing is fetched at most once and used to find `sha256-<hex>*` tags of every node.
 */
export async function walkGraph(
  client: GraphClient,
  repo: RepositoryRef,
  reference: string,
  options: WalkOptions = {},
): Promise<ImageGraph> {
  const selection = options.referrers ?? 'all';
  const what = `reading the image graph of ${repo.registry}/${repo.repository}:${reference}`.replace(
    ':sha256:',
    '@sha256:',
  );
  const limit = limiter(options.concurrency ?? 8);
  const log = options.logger?.debug.bind(options.logger) ?? (() => {});
  let apiKnown = options.referrersApi;
  let apiProbe: Promise<unknown> | undefined;

  const rootManifest = await limit(() => client.getManifest(repo, reference));
  const graph = new ImageGraph(repo, rootManifest.digest);

  let tagsPromise: Promise<Set<string>> | undefined;
  const tagSet = () => {
    tagsPromise ??= options.tags
      ? Promise.resolve(new Set(options.tags))
      : limit(() => client.listTags(repo)).then((t) => new Set(t));
    return tagsPromise;
  };

  const warn = options.logger?.warning?.bind(options.logger) ?? log;
  const where = (digest: string) => `${repo.registry}/${repo.repository}@${digest}`;

  // Every manifest is expanded by one task; no task waits for another node's task, so an
  // attachment that leads back to a manifest still being expanded (a cycle made with tags) only
  // adds an edge. The walk is over when no task is left; the first failure ends it.
  const visiting = new Set<string>();
  let pending = 0;
  const failure: { error?: unknown; failed: boolean } = { failed: false };
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const spawn = (task: () => Promise<void>): void => {
    pending++;
    task()
      .catch((error: unknown) => {
        if (!failure.failed) Object.assign(failure, { failed: true, error });
        finish();
      })
      .finally(() => {
        if (--pending === 0) finish();
      });
  };

  const addManifestNode = (m: ManifestResult, desc: Partial<Descriptor> | undefined, role: NodeRole): GraphNode => {
    const node: GraphNode = {
      digest: m.digest,
      kind: isIndexMediaType(m.mediaType) ? 'index' : 'manifest',
      mediaType: m.mediaType,
      size: m.bytes.length,
      role,
      bytes: m.bytes,
      json: m.json,
      tags: [],
    };
    const artifactType = m.json?.artifactType ?? desc?.artifactType;
    if (artifactType) node.artifactType = artifactType;
    if (desc?.platform) node.platform = desc.platform;
    if (m.json?.annotations) node.annotations = m.json.annotations;
    const subject = subjectOf(m.json);
    if (subject) node.subject = subject.digest;
    return graph.addNode(node);
  };

  // Children, config and layers of a fetched manifest, then what is attached to it.
  const expand = (node: GraphNode): void => {
    const json = node.json ?? {};
    if (node.kind === 'index') {
      if (!Array.isArray(json.manifests)) throw new OperationError(what, `index ${node.digest} has no manifests list`);
      for (const child of json.manifests as Descriptor[]) {
        graph.addEdge({ from: node.digest, to: child.digest, kind: 'child' });
        visit(child.digest, child, node.role === 'image' ? 'image' : node.role);
      }
    } else {
      if (json.schemaVersion === 1 || (!json.config && !isImageManifestMediaType(node.mediaType) && !json.layers)) {
        throw new OperationError(what, `manifest ${node.digest} (${node.mediaType}) is not an image manifest or index`);
      }
      if (json.config) addBlob(node, json.config as Descriptor, 'config');
      for (const layer of (json.layers ?? []) as Descriptor[]) addBlob(node, layer, 'layer');
    }
    if (selection !== 'none') spawn(() => attachments(node));
  };

  const addBlob = (parent: GraphNode, desc: Descriptor & { urls?: string[] }, kind: 'config' | 'layer') => {
    const blob: GraphNode = {
      digest: desc.digest,
      kind: 'blob',
      mediaType: desc.mediaType,
      size: desc.size,
      role: parent.role,
      tags: [],
    };
    if (desc.annotations) blob.annotations = desc.annotations;
    if (Array.isArray(desc.urls) && desc.urls.length > 0 && FOREIGN_LAYER.test(desc.mediaType)) blob.foreign = true;
    graph.addNode(blob);
    graph.addEdge({ from: parent.digest, to: desc.digest, kind });
  };

  const attachments = async (node: GraphNode): Promise<void> => {
    const tags = await tagSet();
    // The first answer tells whether the registry has the referrers API; the others wait for it
    // so that a registry without it gets one 404, not one per manifest.
    if (apiKnown === undefined && apiProbe) await apiProbe.catch(() => {});
    const run = limit(() => listReferrers(client, repo, node.digest, { tags, api: apiKnown !== false }));
    if (apiKnown === undefined && !apiProbe) apiProbe = run;
    const listing = await run;
    if (apiKnown === undefined) apiKnown = listing.api;
    if (listing.fallbackIndex) {
      const fi = listing.fallbackIndex;
      const tag = referrersTag(node.digest);
      if (fi.digest === node.digest) {
        warn(`${where(node.digest)} is tagged as its own attachment (${tag}); that tag is ignored`);
      } else {
        addManifestNode(fi, undefined, 'referrers-index');
        graph.addEdge({ from: node.digest, to: fi.digest, kind: 'referrers-index', tag });
        graph.addTag(tag, fi.digest);
      }
    }
    for (const desc of listing.descriptors) {
      if (!selectsReferrer(selection, desc)) continue;
      if (desc.digest === node.digest) {
        warn(
          `${where(node.digest)} is listed as its own referrer (in ${referrersTag(node.digest)}); that entry is ignored`,
        );
        continue;
      }
      graph.addEdge({ from: node.digest, to: desc.digest, kind: 'referrer' });
      visit(desc.digest, desc, 'referrer', node.digest);
    }
    for (const { tag, kind } of cosignTagsOf(node.digest, tags)) {
      if (selection === 'signatures' && !isSignatureLike(kind)) continue;
      spawn(() => visitTag(node.digest, tag, kind));
    }
  };

  const visit = (digest: string, desc: Partial<Descriptor> | undefined, role: NodeRole, subject?: string): void => {
    if (visiting.has(digest)) return;
    visiting.add(digest);
    spawn(async () => {
      const m = digest === rootManifest.digest ? rootManifest : await limit(() => client.getManifest(repo, digest));
      if (m.digest !== digest) throw new OperationError(what, `manifest ${digest} came back as ${m.digest}`);
      const node = addManifestNode(m, desc, role);
      if (subject && !node.subject) node.subject = subject;
      log(`graph: ${node.kind} ${digest} (${role})`);
      expand(node);
    });
  };

  const visitTag = async (subject: string, tag: string, kind: CosignTagKind) => {
    const m = await limit(() => client.getManifest(repo, tag));
    if (m.digest === subject) {
      warn(`${where(subject)} is tagged as its own attachment (${tag}); that tag is ignored`);
      return;
    }
    graph.addEdge({ from: subject, to: m.digest, kind: 'cosign-tag', tag, cosignKind: kind });
    if (!visiting.has(m.digest)) {
      visiting.add(m.digest);
      const node = addManifestNode(m, undefined, 'cosign');
      node.subject ??= subject;
      log(`graph: cosign ${kind} ${m.digest} for ${subject}`);
      expand(node);
    }
    graph.addTag(tag, m.digest);
  };

  visit(rootManifest.digest, undefined, 'image');
  await finished;
  if (failure.failed) throw failure.error;
  if (reference !== rootManifest.digest && !reference.includes(':')) graph.addTag(reference, rootManifest.digest);
  return graph;
}
