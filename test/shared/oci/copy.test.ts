// copyImage's scheduling without a network: blobs of one image go up several at a time (6 by
// default, as skopeo), never more than asked, largest first; manifests only after every blob.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobBody, BlobTransfer, Descriptor, RepositoryRef } from '#shared/oci/client.js';
import { copyImage } from '#shared/oci/copy.js';
import { blob, imageManifest, MemoryRegistry, OCI_INDEX, OCI_MANIFEST } from './memory-registry.js';

/** The in-memory registry with blob methods that record how many uploads run at once. */
class CountingRegistry extends MemoryRegistry {
  active = 0;
  maxActive = 0;
  readonly order: string[] = [];

  async getBlob(_repo: RepositoryRef, digest: string): Promise<Readable> {
    return Readable.from([Buffer.from(digest)]);
  }

  async getBlobBytes(): Promise<Buffer> {
    return Buffer.from('{}');
  }

  async mountBlob(): Promise<boolean> {
    return false;
  }

  async pushBlob(_repo: RepositoryRef, desc: { digest: string; size: number }, body: BlobBody): Promise<BlobTransfer> {
    this.calls.push({ method: 'pushBlob', ref: desc.digest });
    this.order.push(desc.digest);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      (await body()).resume();
      // the upload takes a while: several turns of the event loop
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      return 'uploaded';
    } finally {
      this.active--;
    }
  }
}

function twoPlatformIndex(registry: MemoryRegistry): { layers: Descriptor[] } {
  const layers: Descriptor[] = [];
  const entries = ['amd64', 'arm64'].map((architecture) => {
    const config = blob('application/vnd.oci.image.config.v1+json', `{"architecture":"${architecture}"}`);
    const own = Array.from({ length: 5 }, (_, i) =>
      blob('application/vnd.oci.image.layer.v1.tar+gzip', `${architecture}-layer-${i}-${'x'.repeat(i * 100)}`),
    );
    layers.push(...own);
    return { ...registry.add(imageManifest(config, own)), platform: { os: 'linux', architecture } };
  });
  registry.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }, 'v1');
  return { layers };
}

describe('copyImage blob scheduling', () => {
  it.each([
    [undefined, 6],
    [2, 2],
    [1, 1],
  ])('runs uploads of one image in parallel (concurrency %s: %i at a time)', async (concurrency, expected) => {
    const registry = new CountingRegistry();
    const { layers } = twoPlatformIndex(registry);
    const r = await copyImage(
      registry,
      { registry: 'src.example', repository: 'app', tag: 'v1' },
      { registry: 'dst.example', repository: 'app', tag: 'v1' },
      { concurrency, referrers: 'none' },
    );
    // 10 layers + 2 configs, every one uploaded once
    expect(r.blobs).toHaveLength(12);
    expect(registry.count('pushBlob')).toBe(12);
    expect(registry.maxActive).toBe(expected);
    // the largest blob starts first
    const largest = [...layers].sort((a, b) => b.size - a.size)[0]!;
    expect(registry.order[0]).toBe(largest.digest);
    // manifests are put after the last blob
    const firstPut = registry.calls.findIndex((c) => c.method === 'putManifest');
    const lastPush = registry.calls.findLastIndex((c) => c.method === 'pushBlob');
    expect(firstPut).toBeGreaterThan(lastPush);
    expect(registry.calls.filter((c) => c.method === 'putManifest').map((c) => c.ref.startsWith('sha256:'))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(r.mediaType).toBe(OCI_INDEX);
    expect(r.manifests.filter((m) => m.mediaType === OCI_MANIFEST)).toHaveLength(2);
  });
});
