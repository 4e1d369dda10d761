import { describe, expect, it } from 'vitest';
import { filterIndex, parsePlatform, platformMatches } from '#shared/oci/copy.js';
import { limiter, walkGraph } from '#shared/oci/graph.js';
import { cosignTag, pushManifestWithSubject, referrersTag } from '#shared/oci/referrers.js';
import { blob, EMPTY_JSON, imageManifest, MemoryRegistry, OCI_INDEX, OCI_MANIFEST } from './memory-registry.js';

const repo = { registry: '127.0.0.1:5000', repository: 'app' };
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';
const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SPDX = 'application/spdx+json';

/**
 * index (tag v1)
 *  ├─ amd64 manifest ── config-amd64, shared layer, layer-amd64
 *  │    ├─ referrer: sigstore bundle ── referrer of the referrer: sbom
 *  │    └─ cosign tags .sig and .att
 *  └─ arm64 manifest ── config-arm64, shared layer
 *  referrer of the index: sbom (through the fallback index)
 */
async function fixture(api: boolean) {
  const reg = new MemoryRegistry(api);
  const shared = blob(LAYER, 'shared layer');
  const amd64 = reg.add(imageManifest(blob(CONFIG, 'config-amd64'), [shared, blob(LAYER, 'layer-amd64')]));
  const arm64 = reg.add(imageManifest(blob(CONFIG, 'config-arm64'), [shared]));
  const index = reg.add(
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
    },
    'v1',
  );
  const empty = blob(EMPTY_JSON, '{}');
  const push = async (json: object) => {
    const bytes = Buffer.from(JSON.stringify(json));
    return (await pushManifestWithSubject(reg, repo, { bytes, mediaType: OCI_MANIFEST })).digest;
  };
  const bundle = await push(imageManifest(empty, [blob(BUNDLE, 'bundle')], { subject: amd64, artifactType: BUNDLE }));
  const bundleDesc = { mediaType: OCI_MANIFEST, digest: bundle, size: reg.manifests.get(bundle)!.bytes.length };
  const bundleSbom = await push(
    imageManifest(empty, [blob(SPDX, 'sbom of bundle')], { subject: bundleDesc, artifactType: SPDX }),
  );
  const indexSbom = await push(
    imageManifest(empty, [blob(SPDX, 'sbom of index')], { subject: index, artifactType: SPDX }),
  );
  const sig = reg.add(
    imageManifest(blob(CONFIG, 'sig-config'), [blob('application/vnd.dev.cosign.simplesigning.v1+json', 'sig')]),
    cosignTag(amd64.digest, 'sig'),
  );
  const att = reg.add(
    imageManifest(blob(CONFIG, 'att-config'), [blob('application/vnd.dsse.envelope.v1+json', 'att')]),
    cosignTag(amd64.digest, 'att'),
  );
  reg.calls.length = 0;
  return { reg, index, amd64, arm64, shared, bundle, bundleSbom, indexSbom, sig, att };
}

describe('walkGraph', () => {
  it.each([false, true])('finds the image, its referrers and cosign tags (referrers API %s)', async (api) => {
    const f = await fixture(api);
    const g = await walkGraph(f.reg, repo, 'v1');
    expect(g.root).toBe(f.index.digest);
    const kinds = (kind: string) => g.edges.filter((e) => e.kind === kind).map((e) => [e.from, e.to]);
    expect(kinds('child')).toEqual([
      [f.index.digest, f.amd64.digest],
      [f.index.digest, f.arm64.digest],
    ]);
    expect(kinds('referrer').sort()).toEqual(
      [
        [f.index.digest, f.indexSbom],
        [f.amd64.digest, f.bundle],
        [f.bundle, f.bundleSbom],
      ].sort(),
    );
    expect(
      g.edges
        .filter((e) => e.kind === 'cosign-tag')
        .map((e) => [e.tag, e.to])
        .sort(),
    ).toEqual(
      [
        [cosignTag(f.amd64.digest, 'att'), f.att.digest],
        [cosignTag(f.amd64.digest, 'sig'), f.sig.digest],
      ].sort(),
    );
    // The shared layer is one node with two parents.
    expect(
      g.edges
        .filter((e) => e.to === f.shared.digest)
        .map((e) => e.from)
        .sort(),
    ).toEqual([f.amd64.digest, f.arm64.digest].sort());
    // 4 image blobs (the shared layer once) + 3 referrer layers + 1 empty config + 4 cosign blobs
    expect(g.blobs()).toHaveLength(12);
    expect(g.node(f.arm64.digest)!.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(g.node(f.bundle)!).toMatchObject({ role: 'referrer', subject: f.amd64.digest, artifactType: BUNDLE });
    expect(g.node(f.sig.digest)!).toMatchObject({ role: 'cosign', subject: f.amd64.digest });
    expect(g.tags.get('v1')).toBe(f.index.digest);
    expect(g.node(f.sig.digest)!.tags).toEqual([cosignTag(f.amd64.digest, 'sig')]);
    // Each manifest fetched once, the tag listing once.
    const fetched = f.reg.calls.filter((c) => c.method === 'getManifest').map((c) => c.ref);
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(f.reg.count('listTags')).toBe(1);
    if (api) {
      expect(g.manifests().filter((n) => n.role === 'referrers-index')).toEqual([]);
    } else {
      // The fallback indexes are part of the graph, reached from their subjects.
      const fallback = g.edges.filter((e) => e.kind === 'referrers-index').map((e) => [e.from, e.tag]);
      expect(fallback.sort()).toEqual(
        [f.index.digest, f.amd64.digest, f.bundle].map((d) => [d, referrersTag(d)]).sort(),
      );
      // Once the API is known to be missing it is not asked again for every manifest.
      expect(f.reg.count('referrersApi')).toBe(1);
    }
  });

  it('refuses what is not an image manifest or index, naming it', async () => {
    const reg = new MemoryRegistry(false);
    const v1 = reg.add(
      { schemaVersion: 1, mediaType: 'application/vnd.docker.distribution.manifest.v1+json', fsLayers: [] },
      'old',
    );
    await expect(walkGraph(reg, repo, 'old')).rejects.toThrow(
      `reading the image graph of 127.0.0.1:5000/app:old: manifest ${v1.digest} (application/vnd.docker.distribution.manifest.v1+json) is not an image manifest or index`,
    );
  });

  it('keeps only signatures when asked', async () => {
    const f = await fixture(true);
    const g = await walkGraph(f.reg, repo, f.index.digest, { referrers: 'signatures' });
    const attached = g
      .manifests()
      .filter((n) => n.role !== 'image')
      .map((n) => n.digest)
      .sort();
    expect(attached).toEqual([f.bundle, f.sig.digest].sort());
  });

  it('skips referrers and the tag listing when asked', async () => {
    const f = await fixture(false);
    const g = await walkGraph(f.reg, repo, 'v1', { referrers: 'none' });
    expect(
      g
        .manifests()
        .map((n) => n.digest)
        .sort(),
    ).toEqual([f.index.digest, f.amd64.digest, f.arm64.digest].sort());
    expect(f.reg.count('listTags')).toBe(0);
    expect(f.reg.count('referrersApi')).toBe(0);
  });

  it('orders pushes: children before their index, attachments after their subject', async () => {
    const f = await fixture(false);
    const g = await walkGraph(f.reg, repo, 'v1');
    const position = new Map<string, number>();
    g.pushWaves().forEach((wave, i) => {
      for (const n of wave) position.set(n.digest, i);
    });
    const pushedEarlier = (a: string, b: string) => expect(position.get(a)!).toBeLessThan(position.get(b)!);
    pushedEarlier(f.amd64.digest, f.index.digest);
    pushedEarlier(f.arm64.digest, f.index.digest);
    pushedEarlier(f.index.digest, f.indexSbom);
    pushedEarlier(f.amd64.digest, f.bundle);
    pushedEarlier(f.bundle, f.bundleSbom);
    pushedEarlier(f.amd64.digest, f.sig.digest);
  });

  it('reachable follows the chosen edges', async () => {
    const f = await fixture(true);
    const g = await walkGraph(f.reg, repo, 'v1');
    const imageOnly = g.reachable([f.arm64.digest], ['child', 'config', 'layer']);
    expect(imageOnly.size).toBe(3);
    const all = g.reachable([g.root]);
    expect(all.size).toBe(g.nodes.size);
  });
});

describe('limiter', () => {
  it('runs at most N tasks at once and all of them', async () => {
    const limit = limiter(2);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        limit(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
          return i;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
  });
});

describe('platforms', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ])('parsePlatform(%s)', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  it.each(['linux', 'linux/', 'a/b/c/d'])('parsePlatform rejects %s', (text) => {
    expect(() => parsePlatform(text, 'platforms')).toThrow(/Input 'platforms'.*os\/arch/);
  });

  it.each([
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64', true],
    [{ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'linux/arm64/v8', true],
    [{ os: 'linux', architecture: 'arm64' }, 'linux/arm64/v8', false],
    [{ os: 'linux', architecture: 'amd64' }, 'linux/arm64', false],
    [undefined, 'linux/amd64', false],
  ])('platformMatches(%j, %s) = %s', (have, wanted, expected) => {
    expect(platformMatches(have, parsePlatform(wanted))).toBe(expected);
  });

  it('filterIndex keeps wanted platforms and the attestations of kept entries', () => {
    const d = (n: string) => `sha256:${n.repeat(64)}`;
    const json = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: d('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: OCI_MANIFEST, digest: d('2'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
        {
          mediaType: OCI_MANIFEST,
          digest: d('3'),
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d('1') },
        },
        {
          mediaType: OCI_MANIFEST,
          digest: d('4'),
          size: 1,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d('2') },
        },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(json));
    const r = filterIndex({ bytes, json }, [parsePlatform('linux/amd64')]);
    expect(r.changed).toBe(true);
    expect(r.kept.map((k) => k.digest)).toEqual([d('1'), d('3')]);
    expect(JSON.parse(r.bytes.toString())).toEqual({ ...json, manifests: [json.manifests[0], json.manifests[2]] });
    const all = filterIndex({ bytes, json }, [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')]);
    expect(all.changed).toBe(false);
    expect(all.bytes).toBe(bytes);
  });
});
