// Reads what a builder exported as an OCI image layout (blobs/sha256/<hex> + index.json): the
// root manifest or index, its platform images and their compressed sizes. Everything is
// measured here, before anything is pushed, so a size budget can stop the step with no side effect.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError } from '#shared/errors.js';
import { formatSize } from '#shared/parse.js';

export const MT = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export function isIndex(mediaType: string): boolean {
  return mediaType === MT.ociIndex || mediaType === MT.dockerList;
}

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

export interface ManifestDoc {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are JSON documents read field by field
  json: any;
}

export interface PlatformImage {
  /** os/arch[/variant] */
  platform: string;
  manifest: ManifestDoc;
  config: BlobDescriptor;
  layers: BlobDescriptor[];
  /** layers + config, as pushed */
  compressedSize: number;
}

export interface LocalImage {
  /** the OCI layout folder */
  dir: string;
  /** the manifest or index that is the image */
  root: ManifestDoc;
  /** child manifests of an index (platform images and attestations), in index order */
  children: ManifestDoc[];
  /** platform images (attestation manifests excluded) */
  images: PlatformImage[];
}

export function blobPath(dir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return join(dir, 'blobs', alg as string, hex as string);
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readDoc(dir: string, desc: BlobDescriptor): Promise<ManifestDoc> {
  const bytes = await readFile(blobPath(dir, desc.digest));
  if (sha256(bytes) !== desc.digest) {
    throw new OperationError('reading the exported image', `blob ${desc.digest} does not match its digest`);
  }
  const json = JSON.parse(bytes.toString('utf8'));
  return { digest: desc.digest, mediaType: json.mediaType ?? desc.mediaType, bytes, json };
}

export function platformString(p: { os?: string; architecture?: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

function isAttestation(desc: BlobDescriptor): boolean {
  return (
    desc.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' ||
    (desc.platform?.os === 'unknown' && desc.platform?.architecture === 'unknown')
  );
}

export async function readPlatformImage(dir: string, doc: ManifestDoc, desc?: BlobDescriptor): Promise<PlatformImage> {
  const config = doc.json.config as BlobDescriptor;
  const layers = (doc.json.layers ?? []) as BlobDescriptor[];
  let platform = desc?.platform ? platformString(desc.platform) : '';
  if (!platform) {
    const cfg = JSON.parse(await readFile(blobPath(dir, config.digest), 'utf8'));
    platform = platformString(cfg);
  }
  const compressedSize = config.size + layers.reduce((n, l) => n + l.size, 0);
  return { platform, manifest: doc, config, layers, compressedSize };
}

/** Reads the layout's image: the one entry of index.json, or the given root descriptor. */
export async function readLayout(dir: string, root?: BlobDescriptor): Promise<LocalImage> {
  let rootDesc = root;
  if (!rootDesc) {
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    const entries = (index.manifests ?? []) as BlobDescriptor[];
    if (entries.length !== 1) {
      throw new OperationError('reading the exported image', `index.json lists ${entries.length} images, expected 1`);
    }
    rootDesc = entries[0] as BlobDescriptor;
  }
  const rootDoc = await readDoc(dir, rootDesc);
  if (!isIndex(rootDoc.mediaType)) {
    return { dir, root: rootDoc, children: [], images: [await readPlatformImage(dir, rootDoc)] };
  }
  const children: ManifestDoc[] = [];
  const images: PlatformImage[] = [];
  for (const desc of rootDoc.json.manifests as BlobDescriptor[]) {
    const child = await readDoc(dir, desc);
    children.push(child);
    if (!isAttestation(desc)) images.push(await readPlatformImage(dir, child, desc));
  }
  return { dir, root: rootDoc, children, images };
}

/** Every blob a pushed copy of the image needs, except the manifests themselves. */
export function imageBlobs(image: LocalImage): BlobDescriptor[] {
  const seen = new Map<string, BlobDescriptor>();
  const docs = image.children.length ? image.children : [image.root];
  for (const doc of docs) {
    const config = doc.json.config as BlobDescriptor | undefined;
    for (const d of [...(config ? [config] : []), ...((doc.json.layers ?? []) as BlobDescriptor[])]) {
      if (!seen.has(d.digest)) seen.set(d.digest, d);
    }
  }
  return [...seen.values()];
}

export async function blobSize(dir: string, digest: string): Promise<number> {
  return (await stat(blobPath(dir, digest))).size;
}

export function sizesOf(images: PlatformImage[]): Record<string, number> {
  return Object.fromEntries(images.map((i) => [i.platform, i.compressedSize]));
}

/** The size table and the largest layers, for the log and for the budget error. */
export function describeSizes(images: PlatformImage[], top = 5): string[] {
  const lines: string[] = [];
  for (const image of images) {
    lines.push(`${image.platform}: ${formatSize(image.compressedSize)} (${image.compressedSize} bytes) compressed`);
    const largest = [...image.layers].sort((a, b) => b.size - a.size).slice(0, top);
    largest.forEach((l, i) => {
      lines.push(`  layer ${i + 1}: ${formatSize(l.size)} ${l.digest}`);
    });
  }
  return lines;
}

/** Throws when any platform's image is over the budget, naming the sizes and the largest layers. */
export function checkBudget(images: PlatformImage[], maxSize: number | undefined): void {
  if (maxSize === undefined) return;
  const over = images.filter((i) => i.compressedSize > maxSize);
  if (over.length === 0) return;
  const parts = over.map((i) => {
    const largest = [...i.layers]
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((l) => `${l.digest.slice(0, 19)} ${formatSize(l.size)}`)
      .join(', ');
    return `${i.platform} is ${formatSize(i.compressedSize)} (${i.compressedSize} bytes; largest layers: ${largest})`;
  });
  throw new OperationError(
    `checking max-size ${formatSize(maxSize)} (${maxSize} bytes)`,
    `${parts.join('; ')}; nothing was pushed`,
  );
}
