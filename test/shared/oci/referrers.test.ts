import { describe, expect, it } from 'vitest';
import {
  cosignTag,
  cosignTagsOf,
  isSignatureLike,
  listReferrers,
  mergeReferrersIndex,
  parseDigestTag,
  pushManifestWithSubject,
  referrerDescriptor,
  referrersTag,
} from '#shared/oci/referrers.js';
import { blob, EMPTY_JSON, imageManifest, MemoryRegistry, OCI_INDEX, OCI_MANIFEST, sha256 } from './memory-registry.js';

const HEX = 'a'.repeat(64);
const repo = { registry: '127.0.0.1:5000', repository: 'app' };

describe('digest tags', () => {
  it.each([
    [`sha256:${HEX}`, `sha256-${HEX}`],
    [`sha512:${'b'.repeat(128)}`, `sha512-${'b'.repeat(64)}`],
  ])('referrersTag(%s)', (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
  });

  it('cosignTag names the digest and the kind', () => {
    expect(cosignTag(`sha256:${HEX}`, 'sig')).toBe(`sha256-${HEX}.sig`);
    expect(cosignTag(`sha256:${HEX}`, 'sbom')).toBe(`sha256-${HEX}.sbom`);
  });

  it('rejects what is not a digest', () => {
    expect(() => referrersTag('latest')).toThrow(/not a digest/);
  });

  it.each([
    [`sha256-${HEX}`, { digest: `sha256:${HEX}`, kind: 'referrers' }],
    [`sha256-${HEX}.sig`, { digest: `sha256:${HEX}`, kind: 'sig' }],
    [`sha256-${HEX}.att`, { digest: `sha256:${HEX}`, kind: 'att' }],
    [`sha256-${HEX}.sbom`, { digest: `sha256:${HEX}`, kind: 'sbom' }],
    [`sha256-${HEX}.txt`, null],
    ['sha256-abc.sig', null],
    ['v1.2.3', null],
    [`sha256-${HEX.toUpperCase()}`, null],
  ])('parseDigestTag(%s)', (tag, expected) => {
    expect(parseDigestTag(tag)).toEqual(expected);
  });

  it('cosignTagsOf finds only the listed tags', () => {
    const d = `sha256:${HEX}`;
    const tags = new Set([`sha256-${HEX}.sig`, `sha256-${HEX}.sbom`, `sha256-${HEX}`, 'latest']);
    expect(cosignTagsOf(d, tags)).toEqual([
      { tag: `sha256-${HEX}.sig`, kind: 'sig' },
      { tag: `sha256-${HEX}.sbom`, kind: 'sbom' },
    ]);
  });
});

describe('isSignatureLike', () => {
  it.each([
    [{ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }, true],
    [{ artifactType: 'application/vnd.dev.sigstore.bundle+json;version=0.2' }, true],
    [{ artifactType: 'application/vnd.cncf.notary.signature' }, true],
    [{ artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' }, true],
    [{ artifactType: 'application/spdx+json' }, false],
    [{ artifactType: 'application/vnd.in-toto+json' }, false],
    [{}, false],
    ['sig', true],
    ['att', false],
    ['sbom', false],
  ] as const)('%j -> %s', (item, expected) => {
    expect(isSignatureLike(item)).toBe(expected);
  });
});

describe('referrerDescriptor', () => {
  const config = blob(EMPTY_JSON, '{}');
  it.each([
    [
      'artifactType field',
      imageManifest(config, [], { artifactType: 'application/spdx+json', annotations: { a: '1' } }),
      { artifactType: 'application/spdx+json', annotations: { a: '1' } },
    ],
    [
      'config media type when artifactType is missing',
      imageManifest(blob('application/vnd.example.config+json', 'x'), []),
      { artifactType: 'application/vnd.example.config+json' },
    ],
    [
      'index with artifactType',
      { schemaVersion: 2, mediaType: OCI_INDEX, artifactType: 't/x', manifests: [] },
      { artifactType: 't/x' },
    ],
  ])('%s', (_name, json, expected) => {
    const bytes = Buffer.from(JSON.stringify(json));
    const d = referrerDescriptor({ digest: sha256(bytes), mediaType: json.mediaType, bytes, json });
    expect(d).toEqual({ mediaType: json.mediaType, digest: sha256(bytes), size: bytes.length, ...expected });
  });
});

describe('mergeReferrersIndex', () => {
  const a = { mediaType: OCI_MANIFEST, digest: `sha256:${'1'.repeat(64)}`, size: 10, artifactType: 't/a' };
  const b = { mediaType: OCI_MANIFEST, digest: `sha256:${'2'.repeat(64)}`, size: 20, annotations: { k: 'v' } };

  it('creates an index when there is none', () => {
    const r = mergeReferrersIndex(null, [a]);
    expect(r.changed).toBe(true);
    expect(JSON.parse(r.bytes.toString())).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [a] });
  });

  it('adds new entries and keeps the existing ones and fields', () => {
    const existing = { schemaVersion: 2, mediaType: OCI_INDEX, annotations: { x: 'y' }, manifests: [a] };
    const r = mergeReferrersIndex(existing, [b, a]);
    expect(r.changed).toBe(true);
    expect(r.json).toEqual({ ...existing, manifests: [a, b] });
  });

  it('changes nothing when every entry is there', () => {
    const existing = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [a, b] };
    expect(mergeReferrersIndex(existing, [b]).changed).toBe(false);
  });
});

describe('pushManifestWithSubject and listReferrers', () => {
  function setup(api: boolean) {
    const reg = new MemoryRegistry(api);
    const config = blob(EMPTY_JSON, '{}');
    const image = reg.add(imageManifest(blob('application/vnd.oci.image.config.v1+json', 'cfg'), []), 'v1');
    const sig = imageManifest(config, [blob('application/vnd.dev.sigstore.bundle.v0.3+json', 'sig')], {
      subject: image,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    });
    const sbom = imageManifest(config, [blob('application/spdx+json', 'sbom')], {
      subject: image,
      artifactType: 'application/spdx+json',
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
    });
    return { reg, image, sig, sbom };
  }

  it('keeps the fallback index when the registry ignores subject, idempotently', async () => {
    const { reg, image, sig, sbom } = setup(false);
    const sigBytes = Buffer.from(JSON.stringify(sig));
    const r1 = await pushManifestWithSubject(reg, repo, { bytes: sigBytes, mediaType: OCI_MANIFEST });
    expect(r1).toEqual({ digest: sha256(sigBytes), subjectProcessed: false, fallbackTag: referrersTag(image.digest) });
    await pushManifestWithSubject(reg, repo, { bytes: Buffer.from(JSON.stringify(sbom)), mediaType: OCI_MANIFEST });
    const indexPuts = reg.count('putManifest', referrersTag(image.digest));
    await pushManifestWithSubject(reg, repo, { bytes: sigBytes, mediaType: OCI_MANIFEST });
    expect(reg.count('putManifest', referrersTag(image.digest))).toBe(indexPuts);

    const listing = await listReferrers(reg, repo, image.digest);
    expect(listing.api).toBe(false);
    expect(listing.descriptors.map((d) => d.artifactType)).toEqual([
      'application/vnd.dev.sigstore.bundle.v0.3+json',
      'application/spdx+json',
    ]);
    expect(listing.descriptors[1]!.annotations).toEqual({ 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' });
    const filtered = await listReferrers(reg, repo, image.digest, { artifactType: 'application/spdx+json' });
    expect(filtered.descriptors.map((d) => d.artifactType)).toEqual(['application/spdx+json']);
  });

  it('writes no fallback index when the registry processes subject', async () => {
    const { reg, image, sig } = setup(true);
    const r = await pushManifestWithSubject(reg, repo, {
      bytes: Buffer.from(JSON.stringify(sig)),
      mediaType: OCI_MANIFEST,
    });
    expect(r.subjectProcessed).toBe(true);
    expect(r.fallbackTag).toBeUndefined();
    expect(reg.tagMap.has(referrersTag(image.digest))).toBe(false);
    const listing = await listReferrers(reg, repo, image.digest);
    expect(listing.api).toBe(true);
    expect(listing.descriptors).toHaveLength(1);
  });

  it('merges API answers with an older fallback index, each digest once', async () => {
    const { reg, image, sig, sbom } = setup(false);
    await pushManifestWithSubject(reg, repo, { bytes: Buffer.from(JSON.stringify(sig)), mediaType: OCI_MANIFEST });
    reg.referrersApiSupported = true;
    await pushManifestWithSubject(reg, repo, { bytes: Buffer.from(JSON.stringify(sbom)), mediaType: OCI_MANIFEST });
    const listing = await listReferrers(reg, repo, image.digest);
    expect(listing.descriptors).toHaveLength(2);
    expect(listing.fallbackIndex?.json.manifests).toHaveLength(1);
  });

  it('does not fetch the fallback tag when the tag listing lacks it', async () => {
    const { reg, image } = setup(false);
    const listing = await listReferrers(reg, repo, image.digest, { tags: new Set(['v1']) });
    expect(listing.descriptors).toEqual([]);
    expect(reg.count('getManifest')).toBe(0);
  });
});
