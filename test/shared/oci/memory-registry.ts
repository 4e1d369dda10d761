// An in-memory registry speaking the RegistryClient methods the graph and referrer logic use,
// with a log of every call, so unit tests can count fetches (each manifest once, the tag list
// once) and switch the referrers API on or off. Integration tests use real registries.
import { createHash } from 'node:crypto';
import type { Descriptor, ManifestResult, RepositoryRef } from '#shared/oci/client.js';
import { referrerDescriptor, subjectOf } from '#shared/oci/referrers.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const EMPTY_JSON = 'application/vnd.oci.empty.v1+json';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

class NotFound extends Error {
  readonly status = 404;
}

export class MemoryRegistry {
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly tagMap = new Map<string, string>();
  readonly calls: { method: string; ref: string }[] = [];

  constructor(public referrersApiSupported = false) {}

  /** Stores a manifest (JSON object) and returns its descriptor. */
  // biome-ignore lint/suspicious/noExplicitAny: arbitrary manifest JSON
  add(json: any, tag?: string): Descriptor {
    const bytes = Buffer.from(JSON.stringify(json));
    const digest = sha256(bytes);
    this.manifests.set(digest, { bytes, mediaType: json.mediaType });
    if (tag) this.tagMap.set(tag, digest);
    return { mediaType: json.mediaType, digest, size: bytes.length };
  }

  count(method: string, ref?: string): number {
    return this.calls.filter((c) => c.method === method && (ref === undefined || c.ref === ref)).length;
  }

  async getManifest(_repo: RepositoryRef, reference: string): Promise<ManifestResult> {
    this.calls.push({ method: 'getManifest', ref: reference });
    const digest = this.tagMap.get(reference) ?? reference;
    const m = this.manifests.get(digest);
    if (!m) throw new NotFound(`manifest unknown: ${reference}`);
    return { digest, mediaType: m.mediaType, bytes: m.bytes, json: JSON.parse(m.bytes.toString('utf8')) };
  }

  async putManifest(
    _repo: RepositoryRef,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<{ digest: string; subjectProcessed: boolean }> {
    this.calls.push({ method: 'putManifest', ref: reference });
    const digest = sha256(bytes);
    this.manifests.set(digest, { bytes, mediaType });
    if (!reference.startsWith('sha256:')) this.tagMap.set(reference, digest);
    const json = JSON.parse(bytes.toString('utf8'));
    return { digest, subjectProcessed: this.referrersApiSupported && subjectOf(json) !== undefined };
  }

  async listTags(_repo: RepositoryRef): Promise<string[]> {
    this.calls.push({ method: 'listTags', ref: '' });
    return [...this.tagMap.keys()].sort();
  }

  async referrersApi(_repo: RepositoryRef, digest: string, artifactType?: string): Promise<Descriptor[] | null> {
    this.calls.push({ method: 'referrersApi', ref: digest });
    if (!this.referrersApiSupported) return null;
    const out: Descriptor[] = [];
    for (const [d, m] of this.manifests) {
      const json = JSON.parse(m.bytes.toString('utf8'));
      if (subjectOf(json)?.digest !== digest) continue;
      const desc = referrerDescriptor({ digest: d, mediaType: m.mediaType, bytes: m.bytes, json });
      if (!artifactType || desc.artifactType === artifactType) out.push(desc);
    }
    return out;
  }
}

/** A blob descriptor for made-up content. */
export function blob(mediaType: string, content: string): Descriptor {
  return { mediaType, digest: sha256(content), size: Buffer.byteLength(content) };
}

/** An image manifest (optionally an artifact with a subject). */
export function imageManifest(
  config: Descriptor,
  layers: Descriptor[],
  extra: { subject?: Descriptor; artifactType?: string; annotations?: Record<string, string> } = {},
) {
  return { schemaVersion: 2, mediaType: OCI_MANIFEST, ...extra, config, layers };
}
