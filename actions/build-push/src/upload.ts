// Pushes an exported image to registries: blobs, then manifests by digest, checked with a HEAD;
// tags are written last, only once every repository holds the whole image, so no tag ever
// points at a partial result.
import { createReadStream } from 'node:fs';
import { OperationError } from '#shared/errors.js';
import type { RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { type BlobDescriptor, blobPath, imageBlobs, type LocalImage, type ManifestDoc } from './layout.js';

export interface Target {
  repo: RepositoryRef;
  tag?: string;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

function repoKey(repo: RepositoryRef): string {
  return `${repo.registry}/${repo.repository}`;
}

/** The distinct repositories of the targets, in first-seen order. */
export function repositoriesOf(targets: Target[]): RepositoryRef[] {
  const seen = new Map<string, RepositoryRef>();
  for (const t of targets) if (!seen.has(repoKey(t.repo))) seen.set(repoKey(t.repo), t.repo);
  return [...seen.values()];
}

/** Uploads blobs and manifests by digest to one repository; returns the digest the registry reports. */
export async function pushByDigest(client: RegistryClient, image: LocalImage, repo: RepositoryRef): Promise<string> {
  const where = repoKey(repo);
  await inParallel(imageBlobs(image), 3, async (blob: BlobDescriptor) => {
    await client.pushBlob(repo, { digest: blob.digest, size: blob.size }, () =>
      createReadStream(blobPath(image.dir, blob.digest)),
    );
  });
  for (const child of image.children) await putByDigest(client, repo, child);
  await putByDigest(client, repo, image.root);
  const head = await client.headManifest(repo, image.root.digest);
  if (!head)
    throw new OperationError(`checking ${where}@${image.root.digest}`, 'the registry does not have it after the push');
  if (head.digest && head.digest !== image.root.digest) {
    throw new OperationError(`checking ${where}@${image.root.digest}`, `the registry reports digest ${head.digest}`);
  }
  return image.root.digest;
}

async function putByDigest(client: RegistryClient, repo: RepositoryRef, doc: ManifestDoc): Promise<void> {
  const r = await client.putManifest(repo, doc.digest, doc.bytes, doc.mediaType);
  if (r.digest && r.digest !== doc.digest) {
    throw new OperationError(
      `pushing manifest to ${repoKey(repo)}`,
      `the registry stored ${r.digest}, expected ${doc.digest}`,
    );
  }
}

/** Puts the same manifest bytes under every tag; the content is already in each repository. */
export async function putTags(client: RegistryClient, root: ManifestDoc, targets: Target[]): Promise<void> {
  for (const t of targets) {
    if (!t.tag) continue;
    await client.putManifest(t.repo, t.tag, root.bytes, root.mediaType);
  }
}
