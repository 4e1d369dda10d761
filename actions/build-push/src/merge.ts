// `merge`: makes one OCI index from per-platform digests pushed by other jobs, after checking
// that every digest exists, reading each platform from the image config. Sources in another
// repository are copied (blob mounts first) into the target repository by digest.
import { OperationError } from '#shared/errors.js';
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { checkedPlatform } from '#shared/oci/grammar.js';
import { parseReference } from '#shared/oci/reference.js';
import { type Annotation, appliesTo } from './inputs.js';
import { type BlobDescriptor, isIndex, type ManifestDoc, MT, platformString, sha256 } from './layout.js';

export interface MergeSource {
  repo: RepositoryRef;
  digest: string;
  manifest: ManifestResult;
}

export interface MergeEntry {
  source: MergeSource;
  /** the descriptor that goes into the new index (platform set) */
  descriptor: BlobDescriptor;
  /** layers + config */
  compressedSize: number;
}

export function parseMergeList(items: string[]): Array<{ repo: RepositoryRef; digest: string }> {
  return items.map((text) => {
    const ref = parseReference(text, { input: 'merge' });
    if (!ref.digest) {
      throw new OperationError('reading merge', `'${text}' has no digest (expected image@sha256:<hex>)`);
    }
    return { repo: { registry: ref.registry, repository: ref.repository }, digest: ref.digest };
  });
}

async function describe(
  client: RegistryClient,
  source: MergeSource,
  doc: ManifestResult,
  desc?: Descriptor,
): Promise<MergeEntry> {
  const config = doc.json.config as BlobDescriptor;
  const layers = (doc.json.layers ?? []) as BlobDescriptor[];
  let platform = desc?.platform;
  if (!platform) {
    const cfg = JSON.parse((await client.getBlobBytes(source.repo, config.digest, 4 * 1024 * 1024)).toString('utf8'));
    // the config's strings go into the new index and the log: held to the platform grammar
    platform = checkedPlatform(
      { os: cfg?.os, architecture: cfg?.architecture, ...(cfg?.variant ? { variant: cfg.variant } : {}) },
      `the image config of ${source.repo.registry}/${source.repo.repository}@${source.digest}`,
    );
  }
  return {
    source,
    descriptor: { mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.length, platform },
    compressedSize: config.size + layers.reduce((n, l) => n + l.size, 0),
  };
}

/** Checks every digest exists (all of them, before anything is written) and reads their platforms. */
export async function collectSources(
  client: RegistryClient,
  items: Array<{ repo: RepositoryRef; digest: string }>,
): Promise<MergeEntry[]> {
  const heads = await Promise.all(items.map((i) => client.headManifest(i.repo, i.digest)));
  const missing = items
    .filter((_, n) => heads[n] === null)
    .map((i) => `${i.repo.registry}/${i.repo.repository}@${i.digest}`);
  if (missing.length) throw new OperationError('checking the merge digests', `not found: ${missing.join(', ')}`);
  const entries: MergeEntry[] = [];
  for (const item of items) {
    const manifest = await client.getManifest(item.repo, item.digest);
    const source = { ...item, manifest };
    if (isIndex(manifest.mediaType)) {
      // a per-platform job may have pushed an index (e.g. with provenance): take its images
      for (const d of manifest.json.manifests as Descriptor[]) {
        if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
        if (d.platform?.os === 'unknown') continue;
        const child = await client.getManifest(item.repo, d.digest);
        entries.push(await describe(client, { repo: item.repo, digest: d.digest, manifest: child }, child, d));
      }
    } else {
      entries.push(await describe(client, source, manifest));
    }
  }
  const seen = new Map<string, string>();
  for (const e of entries) {
    const p = platformString(e.descriptor.platform ?? { os: '', architecture: '' });
    const other = seen.get(p);
    if (other && other !== e.descriptor.digest) {
      throw new OperationError('merging', `two images for platform ${p}: ${other} and ${e.descriptor.digest}`);
    }
    seen.set(p, e.descriptor.digest);
  }
  return entries.filter((e, i) => entries.findIndex((o) => o.descriptor.digest === e.descriptor.digest) === i);
}

/**
 * The OCI index for the entries, with the index annotations; manifest-descriptor annotations
 * (optionally per platform) go on the descriptors of the images they name.
 */
export function makeIndex(entries: MergeEntry[], annotations: Annotation[]): ManifestDoc {
  const indexAnnotations = Object.fromEntries(
    annotations.filter((a) => a.level === 'index' || a.level === 'default').map((a) => [a.key, a.value]),
  );
  const descriptorAnnotations = annotations.filter((a) => a.level === 'manifest-descriptor');
  const manifests = entries.map((e) => {
    const platform = platformString(e.descriptor.platform ?? { os: '', architecture: '' });
    const own = descriptorAnnotations.filter((a) => appliesTo(a, platform));
    if (own.length === 0) return e.descriptor;
    return {
      ...e.descriptor,
      annotations: { ...e.descriptor.annotations, ...Object.fromEntries(own.map((a) => [a.key, a.value])) },
    };
  });
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests,
  };
  if (Object.keys(indexAnnotations).length) json.annotations = indexAnnotations;
  const bytes = Buffer.from(JSON.stringify(json));
  return { digest: sha256(bytes), mediaType: MT.ociIndex, bytes, json };
}

function same(a: RepositoryRef, b: RepositoryRef): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}

/** Makes sure the target repository holds every source manifest (mounting or copying blobs when it does not). */
export async function bringSources(
  client: RegistryClient,
  entries: MergeEntry[],
  target: RepositoryRef,
): Promise<void> {
  for (const e of entries) {
    if (same(e.source.repo, target)) continue;
    if (await client.headManifest(target, e.descriptor.digest)) continue;
    const m = e.source.manifest.json;
    const blobs = [m.config, ...(m.layers ?? [])] as BlobDescriptor[];
    for (const blob of blobs) {
      const sameRegistry = e.source.repo.registry === target.registry;
      if (sameRegistry && (await client.mountBlob(target, blob.digest, e.source.repo))) continue;
      await client.pushBlob(target, { digest: blob.digest, size: blob.size }, () =>
        client.getBlob(e.source.repo, blob.digest),
      );
    }
    await client.putManifest(target, e.descriptor.digest, e.source.manifest.bytes, e.source.manifest.mediaType);
  }
}
