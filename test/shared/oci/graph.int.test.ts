// The graph of a real multi-platform image (buildah) on distribution 2.8 with referrers in the
// `sha256-<hex>` tag schema and cosign `.sig` tags; skopeo confirms every manifest digest.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient } from '#shared/oci/client.js';
import { walkGraph } from '#shared/oci/graph.js';
import { cosignTag, referrersTag } from '#shared/oci/referrers.js';
import { type AttachedImage, buildAttachedImage, skopeoDigest, uniqueName } from './image-fixtures.js';

const stack = inject('stack');

describe('walkGraph against distribution', () => {
  const client = new RegistryClient({ credentials: async () => undefined });
  const repository = uniqueName('graph/app');
  const repo = { registry: stack.anonymous.host, repository };
  let img: AttachedImage;

  beforeAll(async () => {
    img = await buildAttachedImage(client, stack.anonymous.host, repository, 'v1', stack.busybox);
  }, 120_000);

  it('finds the platforms, their blobs, referrers of every depth and cosign tags', async () => {
    // Count what the walk asks for, on the real client.
    const calls: string[] = [];
    const counting = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${String(prop)} ${String(args[1] ?? '')}`);
          return value.apply(target, args);
        };
      },
    });
    const g = await walkGraph(counting, repo, 'v1');

    expect(g.root).toBe(img.index.digest);
    const edges = (kind: string) =>
      g.edges
        .filter((e) => e.kind === kind)
        .map((e) => `${e.from} -> ${e.to}`)
        .sort();
    expect(edges('child')).toEqual(
      [`${img.index.digest} -> ${img.amd64.digest}`, `${img.index.digest} -> ${img.arm64.digest}`].sort(),
    );
    expect(edges('referrer')).toEqual(
      [
        `${img.index.digest} -> ${img.indexBundle.digest}`,
        `${img.amd64.digest} -> ${img.amd64Sbom.digest}`,
        `${img.amd64Sbom.digest} -> ${img.sbomBundle.digest}`,
      ].sort(),
    );
    expect(edges('cosign-tag')).toEqual(
      [`${img.index.digest} -> ${img.indexSig}`, `${img.amd64.digest} -> ${img.amd64Sig}`].sort(),
    );
    expect(g.tags.get(cosignTag(img.amd64.digest, 'sig'))).toBe(img.amd64Sig);
    for (const subject of [img.index.digest, img.amd64.digest, img.amd64Sbom.digest]) {
      expect(g.tags.get(referrersTag(subject))).toBeDefined();
    }
    expect(g.node(img.arm64.digest)).toMatchObject({
      kind: 'manifest',
      platform: { os: 'linux', architecture: 'arm64' },
    });
    expect(g.node(img.amd64Sbom.digest)).toMatchObject({ role: 'referrer', artifactType: 'application/spdx+json' });

    // Each platform has its busybox layer, with the size its descriptor gives.
    for (const child of [img.amd64.digest, img.arm64.digest]) {
      const layers = g.outgoing(child, ['layer']).map((e) => g.node(e.to)!);
      expect(layers).toHaveLength(1);
      expect(layers[0]).toMatchObject({ kind: 'blob', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
      expect(layers[0]!.size).toBeGreaterThan(100_000);
    }

    // One tag listing, each manifest fetched once.
    expect(calls.filter((c) => c.startsWith('listTags'))).toHaveLength(1);
    const gets = calls.filter((c) => c.startsWith('getManifest'));
    expect(new Set(gets).size).toBe(gets.length);

    // skopeo reads the same bytes under every digest.
    for (const node of g.manifests()) {
      expect(await skopeoDigest(stack.skopeo, `${stack.anonymous.host}/${repository}@${node.digest}`)).toBe(
        node.digest,
      );
      expect(node.size).toBe(node.bytes!.length);
    }
  });

  it('keeps only signatures, or nothing attached, when asked', async () => {
    const sigs = await walkGraph(client, repo, img.index.digest, { referrers: 'signatures' });
    const attached = sigs
      .manifests()
      .filter((n) => n.role === 'referrer' || n.role === 'cosign')
      .map((n) => n.digest)
      .sort();
    // The SBOM is not a signature, so the bundle signing it is not reached either.
    expect(attached).toEqual([img.indexBundle.digest, img.indexSig, img.amd64Sig].sort());

    const bare = await walkGraph(client, repo, 'v1', { referrers: 'none' });
    expect(
      bare
        .manifests()
        .map((n) => n.digest)
        .sort(),
    ).toEqual([img.index.digest, img.amd64.digest, img.arm64.digest].sort());
  });
});
