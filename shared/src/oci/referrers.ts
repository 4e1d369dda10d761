// Artifacts attached to a manifest (signatures, attestations, SBOMs), found three ways: the OCI
// 1.1 referrers API, the referrers tag schema that stands in for it on registries without the
// API (an index of referrer descriptors under the tag `sha256-<hex>`), and cosign's older tag
// scheme (`sha256-<hex>.sig`, `.att`, `.sbom`). Every scheme names the digest the artifact
// belongs to, so promote and retention treat them as edges of the same graph.
import { createHash } from 'node:crypto';
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from './client.js';
import { indexManifests } from './descriptor.js';
import { MediaType } from './media-types.js';

/** Sigstore bundles (cosign v3 signatures and attestations), every bundle version. */
export const SIGSTORE_BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';

/** Artifact types that carry a signature: what `referrers: 'signatures'` keeps. */
export const SIGNATURE_ARTIFACT_TYPES: readonly string[] = [
  'application/vnd.dev.cosign.artifact.sig.v1+json',
  'application/vnd.dev.cosign.simplesigning.v1+json',
  'application/vnd.cncf.notary.signature',
];

export type CosignTagKind = 'sig' | 'att' | 'sbom';
export const COSIGN_TAG_KINDS: readonly CosignTagKind[] = ['sig', 'att', 'sbom'];

/** Which referrers a walk or copy follows. */
export type ReferrerSelection = 'all' | 'signatures' | 'none';

/** The client methods the referrer logic needs (RegistryClient has them all). */
export type ReferrersClient = Pick<RegistryClient, 'getManifest' | 'putManifest' | 'referrersApi'>;

const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const SHA256_TAG_RE = /^sha256-([a-f0-9]{64})(?:\.(sig|att|sbom))?$/;

function splitDigest(digest: string): { algorithm: string; encoded: string } {
  const m = DIGEST_RE.exec(digest);
  if (!m) throw new TypeError(`not a digest: '${digest}'`);
  return { algorithm: m[1]!, encoded: m[2]! };
}

/**
 * The referrers tag schema's tag for a digest: `<alg>-<hex>`, algorithm cut to 32 characters and
 * the encoded part to 64, as the distribution spec prescribes (sha256 digests fit unchanged).
 */
export function referrersTag(digest: string): string {
  const { algorithm, encoded } = splitDigest(digest);
  return `${algorithm.slice(0, 32)}-${encoded.slice(0, 64)}`;
}

/** Cosign's tag for a signature, attestation or SBOM of a digest: `sha256-<hex>.sig` etc. */
export function cosignTag(digest: string, kind: CosignTagKind): string {
  return `${referrersTag(digest)}.${kind}`;
}

/**
 * What a digest-named tag stands for: the referrers index of a digest, or one of cosign's
 * artifacts for it. null for any other tag. Only sha256 names can be turned back into a digest.
 */
export function parseDigestTag(tag: string): { digest: string; kind: 'referrers' | CosignTagKind } | null {
  const m = SHA256_TAG_RE.exec(tag);
  if (!m) return null;
  return { digest: `sha256:${m[1]}`, kind: (m[2] as CosignTagKind | undefined) ?? 'referrers' };
}

/** True when a referrer descriptor (or a cosign tag kind) carries a signature. */
export function isSignatureLike(item: { artifactType?: string } | CosignTagKind): boolean {
  if (typeof item === 'string') return item === 'sig';
  const type = item.artifactType ?? '';
  return type.startsWith(SIGSTORE_BUNDLE_PREFIX) || SIGNATURE_ARTIFACT_TYPES.includes(type);
}

/** Whether a referrer descriptor passes a selection. */
export function selectsReferrer(selection: ReferrerSelection, desc: { artifactType?: string }): boolean {
  if (selection === 'none') return false;
  return selection === 'all' || isSignatureLike(desc);
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON documents
type Json = any;

/** The `subject` a manifest points at, when it has a well-formed one. */
export function subjectOf(json: Json): Descriptor | undefined {
  const s = json?.subject;
  if (!s || typeof s.digest !== 'string' || typeof s.mediaType !== 'string') return undefined;
  return s as Descriptor;
}

/**
 * The descriptor that lists a manifest among the referrers of its subject. Its artifactType is the
 * manifest's own artifactType, else its config's media type, as the image spec defines it for
 * the referrers API; its annotations are the manifest's.
 */
export function referrerDescriptor(
  manifest: Pick<ManifestResult, 'digest' | 'mediaType' | 'bytes' | 'json'>,
): Descriptor {
  const json = manifest.json ?? {};
  const desc: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
  const artifactType =
    typeof json.artifactType === 'string' && json.artifactType !== ''
      ? json.artifactType
      : typeof json.config?.mediaType === 'string'
        ? json.config.mediaType
        : undefined;
  if (artifactType) desc.artifactType = artifactType;
  if (json.annotations && typeof json.annotations === 'object' && Object.keys(json.annotations).length > 0) {
    desc.annotations = { ...json.annotations };
  }
  return desc;
}

/**
 * The referrers index with `add` merged in (by digest; an entry already present is left as it is,
 * so repeating a push changes nothing). `existing` is the current index's JSON or null.
 */
export function mergeReferrersIndex(
  existing: Json | null,
  add: Descriptor[],
): { json: Json; bytes: Buffer; changed: boolean } {
  const base: Json =
    existing && Array.isArray(existing.manifests)
      ? { ...existing, manifests: [...existing.manifests] }
      : { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
  const have = new Set<string>(base.manifests.map((m: Descriptor) => m.digest));
  let changed = existing === null;
  for (const d of add) {
    if (have.has(d.digest)) continue;
    have.add(d.digest);
    base.manifests.push(cleanDescriptor(d));
    changed = true;
  }
  return { json: base, bytes: Buffer.from(JSON.stringify(base)), changed };
}

function cleanDescriptor(d: Descriptor): Descriptor {
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.artifactType) out.artifactType = d.artifactType;
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = { ...d.annotations };
  return out;
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { status?: unknown }).status === 404;
}

export interface ReferrerListing {
  /** referrers from every source, each digest once, filtered by artifactType when one was asked for */
  descriptors: Descriptor[];
  /** true when the registry answered the referrers API */
  api: boolean;
  /** the referrers tag schema's index for the digest, when that tag exists */
  fallbackIndex?: ManifestResult;
}

export interface ListReferrersOptions {
  /** only referrers of this artifact type (sent to the API and applied here as well) */
  artifactType?: string;
  /**
   * The repository's tag listing when the caller has it: the fallback tag is then fetched only
   * when listed. Without it the fallback tag is tried directly (a 404 means none).
   */
  tags?: ReadonlySet<string>;
  /** false skips the referrers API (known to be missing on this registry) */
  api?: boolean;
}

/**
 * Lists the referrers of a digest. The referrers API and the fallback tag are both read and
 * merged: a registry that gained the API later still holds referrers pushed through the tag
 * schema before, and retention must not lose them.
 */
export async function listReferrers(
  client: Pick<RegistryClient, 'getManifest' | 'referrersApi'>,
  repo: RepositoryRef,
  digest: string,
  options: ListReferrersOptions = {},
): Promise<ReferrerListing> {
  const tag = referrersTag(digest);
  const fromApi = options.api === false ? null : client.referrersApi(repo, digest, options.artifactType);
  const fromTag =
    options.tags && !options.tags.has(tag)
      ? null
      : client.getManifest(repo, tag).catch((err: unknown) => {
          if (isNotFound(err)) return null;
          throw err;
        });
  const [apiList, index] = await Promise.all([fromApi, fromTag]);
  const seen = new Set<string>();
  const descriptors: Descriptor[] = [];
  const add = (d: Descriptor) => {
    if (!d || typeof d.digest !== 'string' || seen.has(d.digest)) return;
    if (options.artifactType && d.artifactType !== options.artifactType) return;
    seen.add(d.digest);
    descriptors.push(d);
  };
  for (const d of apiList ?? []) add(d);
  // entries of the tag-schema index are parsed like the API's: held to their grammar
  if (index) for (const d of indexManifests(index)) add(d);
  const listing: ReferrerListing = { descriptors, api: apiList !== null };
  if (index) listing.fallbackIndex = index;
  return listing;
}

/** The cosign tags present for a digest, from a repository's tag listing. */
export function cosignTagsOf(digest: string, tags: ReadonlySet<string>): { tag: string; kind: CosignTagKind }[] {
  return COSIGN_TAG_KINDS.map((kind) => ({ tag: cosignTag(digest, kind), kind })).filter((t) => tags.has(t.tag));
}

/**
 * Adds referrer descriptors to the fallback index of `subject` (read, merge, write back under
 * `sha256-<hex>`). Idempotent: nothing is written when every descriptor is already listed.
 */
export async function updateReferrersIndex(
  client: ReferrersClient,
  repo: RepositoryRef,
  subject: string,
  descriptors: Descriptor[],
): Promise<{ tag: string; digest: string; changed: boolean }> {
  const tag = referrersTag(subject);
  let current: ManifestResult | null = null;
  try {
    current = await client.getManifest(repo, tag);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const merged = mergeReferrersIndex(current?.json ?? null, descriptors);
  if (!merged.changed && current) return { tag, digest: current.digest, changed: false };
  const mediaType = current?.mediaType ?? MediaType.OciIndex;
  const put = await client.putManifest(repo, tag, merged.bytes, mediaType);
  return { tag, digest: put.digest, changed: true };
}

export interface PushReferrerResult {
  digest: string;
  /** true when the registry processed `subject` itself (OCI-Subject header) */
  subjectProcessed: boolean;
  /** the fallback index tag written, when the registry did not process `subject` */
  fallbackTag?: string;
}

/**
 * Pushes a manifest (by digest, or under `reference`) and, when it has a `subject` that the
 * registry did not process, records it in the subject's fallback referrers index.
 */
export async function pushManifestWithSubject(
  client: ReferrersClient,
  repo: RepositoryRef,
  manifest: { bytes: Buffer; mediaType: string; digest?: string },
  reference?: string,
): Promise<PushReferrerResult> {
  const json = JSON.parse(manifest.bytes.toString('utf8'));
  const put = await client.putManifest(
    repo,
    reference ?? manifest.digest ?? `sha256:${createHash('sha256').update(manifest.bytes).digest('hex')}`,
    manifest.bytes,
    manifest.mediaType,
  );
  const subject = subjectOf(json);
  const result: PushReferrerResult = { digest: put.digest, subjectProcessed: put.subjectProcessed };
  if (subject && !put.subjectProcessed) {
    const desc = referrerDescriptor({ digest: put.digest, mediaType: manifest.mediaType, bytes: manifest.bytes, json });
    const updated = await updateReferrersIndex(client, repo, subject.digest, [desc]);
    result.fallbackTag = updated.tag;
  }
  return result;
}
