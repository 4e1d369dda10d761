// A memory registry with the calls retention needs (HEAD, config blobs, deletes), for the unit
// tests of planning and sweeping.
import type { Descriptor, RepositoryRef } from '#shared/oci/client.js';
import { cosignTag } from '#shared/oci/referrers.js';
import { blob, imageManifest, MemoryRegistry, OCI_INDEX, sha256 } from '../../shared/oci/memory-registry.js';

/** The memory registry with the calls retention needs: HEAD, config blobs, deletes. */
export class Registry extends MemoryRegistry {
  readonly blobs = new Map<string, Buffer>();
  readonly deletedDigests: string[] = [];
  async headManifest(repo: RepositoryRef, ref: string): Promise<Descriptor | null> {
    this.calls.push({ method: 'headManifest', ref });
    const d = this.tagMap.get(ref) ?? ref;
    const m = this.manifests.get(d);
    void repo;
    return m ? { digest: d, mediaType: m.mediaType, size: m.bytes.length } : null;
  }
  async getBlobBytes(_repo: RepositoryRef, digest: string): Promise<Buffer> {
    this.calls.push({ method: 'getBlobBytes', ref: digest });
    const b = this.blobs.get(digest);
    if (!b) throw Object.assign(new Error('blob unknown'), { status: 404 });
    return b;
  }
  async deleteManifest(_repo: RepositoryRef, digest: string): Promise<void> {
    if (!this.manifests.delete(digest)) throw Object.assign(new Error('manifest unknown'), { status: 404 });
    this.deletedDigests.push(digest);
    for (const [t, d] of this.tagMap) if (d === digest) this.tagMap.delete(t);
  }
  readonly untagCalls: string[] = [];
  async deleteTag(_repo: RepositoryRef, tag: string): Promise<boolean> {
    this.untagCalls.push(tag);
    return false;
  }
  config(created: string, label: string): Descriptor {
    const bytes = Buffer.from(
      JSON.stringify({ created, architecture: 'amd64', os: 'linux', config: { Labels: { label } } }),
    );
    this.blobs.set(sha256(bytes), bytes);
    return { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(bytes), size: bytes.length };
  }
  image(created: string, label: string, tag?: string): Descriptor {
    return this.add(
      imageManifest(this.config(created, label), [blob('application/vnd.oci.image.layer.v1.tar', label)]),
      tag,
    );
  }
  index(children: Descriptor[], tag?: string): Descriptor {
    return this.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }, tag);
  }
  signature(subject: string): Descriptor {
    const d = this.add(
      imageManifest(this.config('2020-01-01T00:00:00Z', `sig ${subject}`), [
        blob('application/vnd.dev.cosign.simplesigning.v1+json', subject),
      ]),
    );
    this.tagMap.set(cosignTag(subject, 'sig'), d.digest);
    return d;
  }
}
