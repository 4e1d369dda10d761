// Merging cosign signature manifests the way cosign appends to them: the target's layers first,
// then each source layer the target lacks (same digest and same annotations = same signature).
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobBody, Descriptor, RepositoryRef } from '#shared/oci/client.js';
import { mergeCosignLayers, mergedConfig, writeCosignTag } from '#shared/oci/cosign-tags.js';
import { MemoryRegistry, OCI_MANIFEST, sha256 } from './memory-registry.js';

const SIMPLE = 'application/vnd.dev.cosign.simplesigning.v1+json';
const layer = (payload: string, signature: string): Descriptor => ({
  mediaType: SIMPLE,
  digest: sha256(payload),
  size: payload.length,
  annotations: { 'dev.cosignproject.cosign/signature': signature },
});
const sigManifest = (layers: Descriptor[]) => ({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 },
  layers,
});
const A = layer('payload', 'sig-by-key-a');
const B = layer('payload', 'sig-by-key-b');
const C = layer('other-payload', 'sig-by-key-a');

describe('mergeCosignLayers', () => {
  it.each<[string, Descriptor[], Descriptor[], Descriptor[]]>([
    ['adds what the target lacks, after its own', [A], [B], [A, B]],
    ['the same payload signed by another key is another signature', [A], [A, B], [A, B]],
    ['a signature already there is not added again', [A, B], [B], [A, B]],
    ['another payload is another signature', [A], [C, A], [A, C]],
  ])('%s', (_, target, source, expected) => {
    const merged = mergeCosignLayers(
      { mediaType: OCI_MANIFEST, json: sigManifest(target) },
      { mediaType: OCI_MANIFEST, json: sigManifest(source) },
    );
    expect(merged?.json.layers).toEqual(expected);
    expect(merged?.added).toEqual(expected.slice(target.length));
  });

  it.each<[string, unknown, string]>([
    ['an index', { schemaVersion: 2, manifests: [] }, OCI_MANIFEST],
    ['another media type', sigManifest([A]), 'application/vnd.docker.distribution.manifest.v2+json'],
  ])('refuses to merge into %s', (_, json, mediaType) => {
    expect(mergeCosignLayers({ mediaType, json }, { mediaType: OCI_MANIFEST, json: sigManifest([B]) })).toBeUndefined();
  });
});

describe('mergedConfig', () => {
  it('lists one diff_id and one history entry per layer', () => {
    const config = {
      architecture: '',
      os: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      rootfs: { type: 'layers', diff_ids: [A.digest] },
      config: {},
    };
    expect(mergedConfig(config, [A, C])).toEqual({
      ...config,
      history: [{ created: '0001-01-01T00:00:00Z' }, { created: '0001-01-01T00:00:00Z' }],
      rootfs: { type: 'layers', diff_ids: [A.digest, C.digest] },
    });
  });
});

/** The in-memory registry with the blob calls a merge needs. */
class BlobRegistry extends MemoryRegistry {
  readonly blobs = new Map<string, Buffer>([[sha256('{}'), Buffer.from('{}')]]);
  async getBlobBytes(_repo: RepositoryRef, digest: string): Promise<Buffer> {
    return this.blobs.get(digest) as Buffer;
  }
  async pushBlob(_repo: RepositoryRef, desc: { digest: string }, body: BlobBody): Promise<'uploaded'> {
    const chunks: Buffer[] = [];
    for await (const c of (await body()) as Readable) chunks.push(c as Buffer);
    this.blobs.set(desc.digest, Buffer.concat(chunks));
    return 'uploaded';
  }
}

describe('writeCosignTag', () => {
  const repo = { registry: 'r', repository: 'app' };
  const source = (layers: Descriptor[]) => {
    const json = sigManifest(layers);
    const bytes = Buffer.from(JSON.stringify(json));
    return { digest: sha256(bytes), mediaType: OCI_MANIFEST, bytes, json };
  };

  it('creates a missing tag, leaves an equal one, merges a different .sig and keeps a different .sbom', async () => {
    const reg = new BlobRegistry();
    expect(await writeCosignTag(reg, repo, 't.sig', 'sig', source([A]))).toMatchObject({ action: 'created' });
    expect(await writeCosignTag(reg, repo, 't.sig', 'sig', source([A]))).toMatchObject({ action: 'unchanged' });
    const merged = await writeCosignTag(reg, repo, 't.sig', 'sig', source([B]));
    expect(merged).toMatchObject({ action: 'merged', detail: "1 signature(s) of the source added to the target's 1" });
    const now = await reg.getManifest(repo, 't.sig');
    expect(now.digest).toBe(merged.digest);
    expect(now.json.layers).toEqual([A, B]);
    expect(JSON.parse(reg.blobs.get(now.json.config.digest)!.toString())).toEqual({});
    // already contained: nothing written
    const puts = reg.count('putManifest');
    expect(await writeCosignTag(reg, repo, 't.sig', 'sig', source([B]))).toMatchObject({ action: 'unchanged' });
    expect(reg.count('putManifest')).toBe(puts);

    reg.add(sigManifest([C]), 't.sbom');
    const kept = await writeCosignTag(reg, repo, 't.sbom', 'sbom', source([A]));
    expect(kept.action).toBe('kept');
    expect(kept.detail).toMatch(/own SBOM .* left as it is/);
    expect((await reg.getManifest(repo, 't.sbom')).json.layers).toEqual([C]);
  });
});
