// Generated repositories for the retention tests, written straight over HTTP to a real
// distribution registry (no product code involved), with a model of what was written: every
// manifest, its blobs, its outgoing edges (platform children, cosign tags, referrers and their
// fallback index), the tags, and the creation times. The model is the oracle: from a policy it
// computes independently which manifests the cleanup may delete and which it must keep, and it
// checks afterwards that everything kept is still complete in the registry.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MEDIA,
  pushBlob,
  putManifest,
  type RegistryEndpoint,
  registryFetch,
  sha256,
  skopeo,
  tarGz,
} from '../../stack/helpers.js';

const EMPTY_JSON = 'application/vnd.oci.empty.v1+json';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');
const DAY = 86_400_000;

/** A small deterministic PRNG (mulberry32), so that a failing seed replays the same world. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ModelNode {
  digest: string;
  mediaType: string;
  raw: string;
  kind: 'image' | 'index' | 'signature' | 'referrer' | 'referrers-index';
  /** config and layers */
  blobs: string[];
  /** platform children (indexes) */
  children: string[];
  /** everything the node reaches besides its blobs: children and attachments */
  edges: string[];
  /** image config `created` (images), epoch ms */
  created?: number;
  /** image architecture (images) */
  arch?: string;
}

export interface Policy {
  /** the action inputs that express it */
  inputs: Record<string, string>;
  /** independent predicates over tags, not the product's pattern compiler */
  keep: (tag: string) => boolean;
  del?: (tag: string) => boolean;
  keepLast?: number;
  olderThanDays?: number;
  untagged: 'delete' | 'keep';
}

const ATTACHMENT_TAG = /^sha256-([a-f0-9]{64})(?:\.(sig|att|sbom))?$/;
export const attachmentSubject = (tag: string): string | undefined => {
  const m = ATTACHMENT_TAG.exec(tag);
  return m ? `sha256:${m[1]}` : undefined;
};
export const digestTag = (digest: string) => digest.replace(':', '-');

export class World {
  readonly nodes = new Map<string, ModelNode>();
  readonly tags = new Map<string, string>();
  private base: { gz: Buffer; diffId: string; digest?: string } | undefined;

  constructor(
    readonly registry: RegistryEndpoint,
    readonly repo: string,
    readonly now: number,
  ) {}

  get name(): string {
    return `${this.registry.host}/${this.repo}`;
  }

  /**
   * Records a manifest. The same bytes pushed again (an index of the same children) are the
   * same manifest: the node already known is kept, with the edges its attachments added.
   */
  private add(node: ModelNode): ModelNode {
    const known = this.nodes.get(node.digest);
    if (known) return known;
    this.nodes.set(node.digest, node);
    return node;
  }

  private async put(reference: string, raw: string, mediaType: string): Promise<string> {
    const digest = await putManifest(this.registry, this.repo, reference, raw, mediaType);
    if (digest !== sha256(raw)) throw new Error(`registry stored ${reference} as ${digest}, not ${sha256(raw)}`);
    return digest;
  }

  /** An image (config + a random layer, optionally on a base layer shared across the repository). */
  async image(o: { ageDays: number; arch?: string; oci?: boolean; sharedBase?: boolean; tag?: string }) {
    const oci = o.oci ?? true;
    const layers = [];
    if (o.sharedBase) {
      this.base ??= tarGz([{ name: 'base/os-release', data: `base ${this.repo}` }]);
      this.base.digest ??= await pushBlob(this.registry, this.repo, this.base.gz);
      layers.push({ gz: this.base.gz, diffId: this.base.diffId, digest: this.base.digest });
    }
    const own = tarGz([{ name: 'app/data.bin', data: randomBytes(512) }]);
    layers.push({ ...own, digest: await pushBlob(this.registry, this.repo, own.gz) });
    const created = this.now - o.ageDays * DAY;
    const config = Buffer.from(
      JSON.stringify({
        created: new Date(created).toISOString(),
        architecture: o.arch ?? 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/busybox', 'true'] },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    );
    const configDigest = await pushBlob(this.registry, this.repo, config);
    const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
    const raw = JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({
        mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer,
        digest: l.digest,
        size: l.gz.length,
      })),
    });
    const digest = await this.put(o.tag ?? sha256(raw), raw, mediaType);
    if (o.tag) this.tags.set(o.tag, digest);
    return this.add({
      digest,
      mediaType,
      raw,
      kind: 'image',
      blobs: [configDigest, ...layers.map((l) => l.digest)],
      children: [],
      edges: [],
      created,
      arch: o.arch ?? 'amd64',
    });
  }

  /** A multi-platform index over images already pushed. */
  async index(children: ModelNode[], o: { oci?: boolean; tag?: string } = {}) {
    const oci = o.oci ?? true;
    const mediaType = oci ? MEDIA.ociIndex : MEDIA.dockerList;
    const raw = JSON.stringify({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c) => ({
        mediaType: c.mediaType,
        digest: c.digest,
        size: Buffer.byteLength(c.raw),
        platform: { os: 'linux', architecture: c.arch ?? 'amd64' },
      })),
    });
    const digest = await this.put(o.tag ?? sha256(raw), raw, mediaType);
    if (o.tag) this.tags.set(o.tag, digest);
    const ids = children.map((c) => c.digest);
    return this.add({ digest, mediaType, raw, kind: 'index', blobs: [], children: ids, edges: [...ids] });
  }

  /** Puts an existing manifest under one more tag. */
  async tag(node: ModelNode, tag: string): Promise<void> {
    await this.put(tag, node.raw, node.mediaType);
    this.tags.set(tag, node.digest);
  }

  /** A cosign-style simple-signing signature (or attestation) under `sha256-<hex>.<kind>`. */
  async sign(subject: string, kind: 'sig' | 'att' = 'sig'): Promise<ModelNode> {
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': this.name },
          image: { 'docker-manifest-digest': subject },
          type: 'cosign container image signature',
        },
        optional: { kind, nonce: randomBytes(8).toString('hex') },
      }),
    );
    const layer = await pushBlob(this.registry, this.repo, payload);
    const config = Buffer.from(
      JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer] } }),
    );
    const configDigest = await pushBlob(this.registry, this.repo, config);
    const raw = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: config.length },
      layers: [
        {
          mediaType: SIMPLE_SIGNING,
          digest: layer,
          size: payload.length,
          annotations: { 'dev.cosignproject.cosign/signature': randomBytes(48).toString('base64') },
        },
      ],
    });
    const tag = `${digestTag(subject)}.${kind}`;
    const digest = await this.put(tag, raw, MEDIA.ociManifest);
    this.tags.set(tag, digest);
    this.nodes.get(subject)?.edges.push(digest);
    return this.add({
      digest,
      mediaType: MEDIA.ociManifest,
      raw,
      kind: 'signature',
      blobs: [configDigest, layer],
      children: [],
      edges: [],
    });
  }

  /** Artifacts with `subject`, listed in the subject's referrers fallback index `sha256-<hex>`. */
  async refer(subject: ModelNode, count: number): Promise<{ referrers: ModelNode[]; index: ModelNode }> {
    const empty = await pushBlob(this.registry, this.repo, Buffer.from('{}'));
    const referrers: ModelNode[] = [];
    for (let i = 0; i < count; i++) {
      const artifactType = i % 2 === 0 ? 'application/spdx+json' : 'application/vnd.in-toto+json';
      const payload = await pushBlob(this.registry, this.repo, randomBytes(200));
      const raw = JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        artifactType,
        config: { mediaType: EMPTY_JSON, digest: empty, size: 2 },
        layers: [{ mediaType: 'application/octet-stream', digest: payload, size: 200 }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: Buffer.byteLength(subject.raw) },
      });
      const digest = await this.put(sha256(raw), raw, MEDIA.ociManifest);
      referrers.push(
        this.add({
          digest,
          mediaType: MEDIA.ociManifest,
          raw,
          kind: 'referrer',
          blobs: [empty, payload],
          children: [],
          edges: [],
        }),
      );
    }
    const raw = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: referrers.map((r, i) => ({
        mediaType: r.mediaType,
        digest: r.digest,
        size: Buffer.byteLength(r.raw),
        artifactType: i % 2 === 0 ? 'application/spdx+json' : 'application/vnd.in-toto+json',
      })),
    });
    const tag = digestTag(subject.digest);
    const digest = await this.put(tag, raw, MEDIA.ociIndex);
    this.tags.set(tag, digest);
    const index = this.add({
      digest,
      mediaType: MEDIA.ociIndex,
      raw,
      kind: 'referrers-index',
      blobs: [],
      children: [],
      edges: [],
    });
    subject.edges.push(digest, ...referrers.map((r) => r.digest));
    return { referrers, index };
  }

  /** Every digest reachable from `from` (included), along children and attachments. */
  reachable(from: Iterable<string>): Set<string> {
    const out = new Set<string>();
    const stack = [...from];
    for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
      if (out.has(d)) continue;
      out.add(d);
      stack.push(...(this.nodes.get(d)?.edges ?? []));
    }
    return out;
  }

  /** Tags that name an image (not a digest-named attachment tag), by digest. */
  rootTags(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [tag, digest] of this.tags) {
      if (attachmentSubject(tag)) continue;
      out.set(digest, [...(out.get(digest) ?? []), tag].sort());
    }
    return out;
  }

  /** What the image at `digest` was created (index: its newest platform image). */
  createdOf(digest: string): number | undefined {
    const node = this.nodes.get(digest);
    if (!node) return undefined;
    if (node.kind === 'image') return node.created;
    const times = node.children.map((c) => this.nodes.get(c)?.created).filter((t): t is number => t !== undefined);
    return times.length > 0 ? Math.max(...times) : undefined;
  }

  /**
   * The oracle: the manifests a cleanup under `policy` must delete (everything else it must
   * keep). Tags decide roots; a root is kept when any of its tags is; everything reachable from
   * a kept root is kept; attachment tags whose subject is not in the repository are roots of
   * their own, kept only when untagged is keep.
   */
  expectedDeletions(policy: Policy, now: number): Set<string> {
    const byDigest = this.rootTags();
    type T = { tag: string; digest: string; created: number | undefined; keep: boolean };
    const states: T[] = [];
    for (const [digest, tags] of byDigest) {
      for (const tag of tags) {
        const keep = policy.keep(tag) || (policy.del !== undefined && !policy.del(tag));
        states.push({ tag, digest, created: this.createdOf(digest), keep });
      }
    }
    const candidates = states
      .filter((s) => !s.keep)
      .sort(
        (a, b) =>
          (b.created ?? Number.POSITIVE_INFINITY) - (a.created ?? Number.POSITIVE_INFINITY) ||
          a.tag.localeCompare(b.tag),
      );
    candidates.forEach((s, i) => {
      if (policy.keepLast !== undefined && i < policy.keepLast) s.keep = true;
      else if (policy.olderThanDays !== undefined) {
        if (s.created === undefined || now - s.created < policy.olderThanDays * DAY) s.keep = true;
      }
    });
    const keptRoots = new Set(states.filter((s) => s.keep).map((s) => s.digest));
    const fromRoots = this.reachable(byDigest.keys());
    const visible = new Set(fromRoots);
    for (const [tag, digest] of this.tags) {
      const subject = attachmentSubject(tag);
      if (!subject || fromRoots.has(subject)) continue;
      if (this.nodes.has(subject)) {
        // no tag leads to the subject, but it is still in the registry: an untagged root, which
        // its attachments follow
        for (const d of this.reachable([subject])) visible.add(d);
        const created = this.createdOf(subject);
        const young =
          policy.olderThanDays !== undefined && (created === undefined || now - created < policy.olderThanDays * DAY);
        if (policy.untagged === 'keep' || young) keptRoots.add(subject);
        continue;
      }
      // an orphan attachment: its subject is not in the repository at all
      for (const d of this.reachable([digest])) visible.add(d);
      if (policy.untagged === 'keep') keptRoots.add(digest);
    }
    for (const d of this.reachable([...this.tags.values()])) visible.add(d);
    const marked = this.reachable(keptRoots);
    return new Set([...visible].filter((d) => !marked.has(d)));
  }
}

/** The manifest at `digest` as the registry serves it (null on 404). */
export async function fetchManifest(
  registry: RegistryEndpoint,
  repo: string,
  reference: string,
): Promise<{ digest: string; raw: string } | null> {
  const res = await registryFetch(registry, `/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT } });
  if (res.status === 404) {
    await res.arrayBuffer();
    return null;
  }
  if (res.status !== 200) throw new Error(`GET ${repo}/manifests/${reference}: HTTP ${res.status}`);
  const raw = await res.text();
  return { digest: sha256(raw), raw };
}

export async function tagList(registry: RegistryEndpoint, repo: string): Promise<string[]> {
  const res = await registryFetch(registry, `/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags: string[] | null };
  return (body.tags ?? []).sort();
}

/** Tag -> digest of every tag, as the registry serves it now. */
export async function tagState(registry: RegistryEndpoint, repo: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const tag of await tagList(registry, repo)) {
    const m = await fetchManifest(registry, repo, tag);
    if (m) out.set(tag, m.digest);
  }
  return out;
}

/**
 * Problems with a kept manifest: missing itself, or any blob or child (recursively) missing,
 * or its bytes changed. Empty when it is complete.
 */
export async function incomplete(world: World, digest: string): Promise<string[]> {
  const node = world.nodes.get(digest);
  const problems: string[] = [];
  const m = await fetchManifest(world.registry, world.repo, digest);
  if (!m) return [`manifest ${digest} (${node?.kind ?? 'unknown'}) is gone`];
  if (node && m.raw !== node.raw) problems.push(`manifest ${digest} changed`);
  for (const blob of node?.blobs ?? []) {
    const res = await registryFetch(world.registry, `/v2/${world.repo}/blobs/${blob}`, { method: 'HEAD' });
    await res.arrayBuffer();
    if (res.status !== 200) problems.push(`blob ${blob} of ${digest} answers ${res.status}`);
  }
  for (const child of node?.children ?? []) problems.push(...(await incomplete(world, child)));
  return problems;
}

/** `skopeo copy --all` of a reference into a fresh OCI layout: the independent "copies completely" check. */
export async function skopeoCopyAll(reference: string): Promise<{ code: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'retention-copy-'));
  try {
    const r = await skopeo(['copy', '--all', '--quiet', `docker://${reference}`, `oci:${join(dir, 'layout')}:copy`], {
      timeoutMs: 60_000,
    });
    return { code: r.code, stderr: r.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
