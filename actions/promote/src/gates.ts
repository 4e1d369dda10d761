// Promotion gates, checked on the source digest before anything is written: a valid signature
// (verified with the public key when one is given) and the required attestations, required tags
// on the same digest, the image is old enough. Every gate is evaluated so that one run reports
// all reasons for a refusal.
import type { KeyObject } from 'node:crypto';
import { describeError, OperationError } from '#shared/errors.js';
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from '#shared/oci/client.js';
import { isIndexMediaType } from '#shared/oci/media-types.js';
import { formatReference } from '#shared/oci/reference.js';
import {
  cosignTag,
  listReferrers,
  referrerDescriptor,
  SIGNATURE_ARTIFACT_TYPES,
  SIGSTORE_BUNDLE_PREFIX,
  subjectOf,
} from '#shared/oci/referrers.js';
import { COSIGN_SIGN_PREDICATE } from '#shared/sigstore/bundle-referrer.js';
import { verifyKeylessLegacy } from '#shared/sigstore/cosign-keyless.js';
import { foreignText as f } from '#shared/sigstore/foreign-text.js';
import { type LayerVerdict, verifyLegacyAttestations, verifyLegacySignatures } from '#shared/sigstore/cosign-legacy.js';
import {
  type BundleVerdict,
  type BundleVerifier,
  type IdentityPolicy,
  verifyBundleReferrers,
} from '#shared/sigstore/verify-bundle.js';
import { bundleVerifierFor } from './bundle-verifiers.js';

export type GateName = 'require-signature' | 'require-tags' | 'require-age' | 'require-attestations';

export interface GateResult {
  gate: GateName;
  passed: boolean;
  /** one sentence: what was found */
  detail: string;
}

export interface GateOptions {
  requireSignature: boolean;
  requireTags: readonly string[];
  /** milliseconds */
  requireAge: number | undefined;
  /** signatures and attestations must verify with this key (cosign.pub); implies require-signature */
  publicKey?: KeyObject | undefined;
  /** predicate type URIs that must be attested for the digest */
  requireAttestations?: readonly string[] | undefined;
  /** keyless: Sigstore bundle referrers verified against this trusted root and identity; implies require-signature */
  keyless?: { policy: IdentityPolicy; trustedRoot: () => Promise<unknown> } | undefined;
  /** the trusted root whose logs check the log entries of key-signed bundles (trusted-root with public-key) */
  publicKeyTrustedRoot?: unknown;
}

const CREATED_ANNOTATION = 'org.opencontainers.image.created';

export type ClientForGates = Pick<RegistryClient, 'headManifest' | 'getManifest' | 'getBlobBytes' | 'referrersApi'>;

/** A cosign signature or a Sigstore bundle (cosign v3 signatures and attestations are bundles). */
export function isCosignSignature(desc: { artifactType?: string }): boolean {
  const type = desc.artifactType ?? '';
  return (
    type.startsWith(SIGSTORE_BUNDLE_PREFIX) || (type.includes('cosign') && SIGNATURE_ARTIFACT_TYPES.includes(type))
  );
}

/** At most this many rejected candidates are named in a refusal; the rest are counted. */
const MAX_REASONS = 5;

function listReasons(verdicts: readonly LayerVerdict[]): string {
  const shown = verdicts.slice(0, MAX_REASONS).map((v) => `${f(v.layer)}: ${v.detail}`);
  if (verdicts.length > MAX_REASONS) shown.push(`${verdicts.length - MAX_REASONS} more`);
  return shown.join('; ');
}

/**
 * Signature referrers of the digest, each fetched and judged by what its manifest says: its
 * `subject` must be the digest and its own artifact type a signature's. An index entry's
 * artifactType alone proves nothing (anyone who can push a tag writes the index).
 */
async function signatureReferrers(
  client: ClientForGates,
  repo: RepositoryRef,
  digest: string,
): Promise<{ valid: Descriptor[]; refused: LayerVerdict[] }> {
  const { descriptors } = await listReferrers(client, repo, digest);
  const valid: Descriptor[] = [];
  const refused: LayerVerdict[] = [];
  for (const entry of descriptors.filter(isCosignSignature)) {
    if (entry.digest === digest) {
      refused.push({ layer: entry.digest, valid: false, detail: 'the referrer entry is the image itself' });
      continue;
    }
    let manifest: ManifestResult;
    try {
      manifest = await client.getManifest(repo, entry.digest);
    } catch (err) {
      refused.push({
        layer: entry.digest,
        valid: false,
        detail: `the referrer cannot be read (${f(describeError(err))})`,
      });
      continue;
    }
    const subject = subjectOf(manifest.json);
    const own = referrerDescriptor(manifest);
    if (subject?.digest !== digest) {
      refused.push({
        layer: entry.digest,
        valid: false,
        detail: subject ? `its subject is ${f(subject.digest)}, not ${digest}` : 'it has no subject',
      });
    } else if (!isCosignSignature(own)) {
      refused.push({
        layer: entry.digest,
        valid: false,
        detail: `it is ${f(own.artifactType ?? 'an untyped manifest')}, not a signature, whatever the index says`,
      });
    } else {
      valid.push(own);
    }
  }
  return { valid, refused };
}

/** Bundle verdicts, computed once per run when keyless verification is asked for. */
export type BundleVerdicts = () => Promise<BundleVerdict[]>;

export async function checkSignature(
  client: ClientForGates,
  repo: RepositoryRef,
  digest: string,
  publicKey?: KeyObject,
  bundles?: BundleVerdicts,
): Promise<GateResult> {
  const gate = 'require-signature';
  const verified = Boolean(publicKey || bundles);
  if (bundles) {
    const verdicts = (await bundles()).filter(
      (v) => v.predicateType === undefined || v.predicateType === COSIGN_SIGN_PREDICATE,
    );
    const keyless = verdicts.find((v) => v.valid);
    if (keyless) {
      const what = keyless.where ? 'cosign keyless signature' : 'Sigstore bundle referrer';
      return { gate, passed: true, detail: `${what} ${keyless.layer}: ${keyless.detail}` };
    }
    const legacy = publicKey ? await verifyLegacySignatures(client, repo, digest, publicKey) : undefined;
    const good = legacy?.verdicts.find((v) => v.valid);
    if (legacy && good) return { gate, passed: true, detail: `cosign signature in ${legacy.tag}: ${good.detail}` };
    const refused = [...verdicts, ...(legacy?.verdicts ?? [])];
    return {
      gate,
      passed: false,
      detail: refused.length
        ? `no valid signature for ${digest}: ${listReasons(refused)}`
        : `no Sigstore bundle signature referrer and no ${publicKey ? 'cosign' : 'keyless cosign'} signature found for ${digest}`,
    };
  }
  const legacy = await verifyLegacySignatures(client, repo, digest, publicKey);
  const good = legacy.verdicts.find((v) => v.valid);
  if (good) return { gate, passed: true, detail: `cosign signature in ${legacy.tag}: ${good.detail}` };
  const referrers = verified ? { valid: [], refused: [] } : await signatureReferrers(client, repo, digest);
  const bundle = referrers.valid[0];
  if (bundle) {
    return {
      gate,
      passed: true,
      detail: `signature referrer ${bundle.digest} (${f(bundle.artifactType)}) with subject ${digest} (not verified: no public-key given)`,
    };
  }
  const refused = [...legacy.verdicts, ...referrers.refused];
  if (refused.length) {
    return { gate, passed: false, detail: `no valid signature for ${digest}: ${listReasons(refused)}` };
  }
  return {
    gate,
    passed: false,
    detail: legacy.found
      ? `${legacy.tag} holds no simple-signing layer`
      : publicKey
        ? `no cosign signature (tag ${legacy.tag}) found for ${digest}; Sigstore bundle referrers are not verified with public-key`
        : `no cosign signature (tag ${legacy.tag}) and no Sigstore bundle referrer found for ${digest}`,
  };
}

/** Every required predicate type must be attested for the digest (and verify with the key, when given). */
export async function checkAttestations(
  client: ClientForGates,
  repo: RepositoryRef,
  digest: string,
  required: readonly string[],
  publicKey?: KeyObject,
  bundles?: BundleVerdicts,
): Promise<GateResult> {
  const gate = 'require-attestations';
  // keyless only: key-based layers of the legacy tag need a key; its keyless layers are in the bundle verdicts
  const found =
    bundles && !publicKey
      ? { tag: `bundle referrers or ${cosignTag(digest, 'att')}`, found: true, verdicts: [] as LayerVerdict[] }
      : await verifyLegacyAttestations(client, repo, digest, publicKey);
  const fromBundles = bundles ? (await bundles()).filter((v) => v.predicateType !== COSIGN_SIGN_PREDICATE) : [];
  const all: LayerVerdict[] = [...fromBundles, ...found.verdicts];
  const missing: string[] = [];
  const passed: string[] = [];
  for (const type of required) {
    if (all.some((v) => v.valid && v.predicateType === type)) {
      passed.push(type);
      continue;
    }
    const tried = all.filter((v) => v.predicateType === type || v.predicateType === undefined);
    missing.push(tried.length ? `${type} (${listReasons(tried)})` : `${type} (none attested)`);
  }
  if (missing.length) {
    const where = found.found ? `in ${found.tag}` : `(no ${found.tag} tag)`;
    return { gate, passed: false, detail: `no valid attestation ${where} for ${missing.join(', ')}` };
  }
  // each type said where its valid attestation was found and how it was verified
  const groups = new Map<string, string[]>();
  for (const type of passed) {
    const bundle = fromBundles.find((v) => v.valid && v.predicateType === type);
    const key = bundle
      ? `${bundle.where ?? 'bundle referrers'} (${bundle.identity?.startsWith('public-key ') ? 'verified with public-key' : 'verified for the certificate identity'})`
      : `${found.tag} (${publicKey ? 'verified with public-key' : 'not verified: no public-key given'})`;
    groups.set(key, [...(groups.get(key) ?? []), type]);
  }
  const parts = [...groups].map(([where, types]) => `${types.join(', ')} attested for ${digest} in ${where}`);
  return { gate, passed: true, detail: parts.join('; ') };
}

export async function checkRequiredTags(
  client: ClientForGates,
  repo: RepositoryRef,
  digest: string,
  tags: readonly string[],
): Promise<GateResult> {
  const problems: string[] = [];
  for (const tag of tags) {
    const found = await client.headManifest(repo, tag);
    if (!found) problems.push(`'${tag}' does not exist`);
    else if (found.digest !== digest) problems.push(`'${tag}' points to ${found.digest}`);
  }
  const where = formatReference({ registry: repo.registry, repository: repo.repository });
  return problems.length
    ? {
        gate: 'require-tags',
        passed: false,
        detail: `${where} must carry ${tags.join(', ')} on ${digest}, but ${problems.join(', ')}`,
      }
    : { gate: 'require-tags', passed: true, detail: `${tags.join(', ')} on the source digest` };
}

export interface ImageTime {
  time: Date;
  /** where the time came from, for messages */
  from: string;
}

/** A timestamp at or before the epoch is what reproducible builds write: it says nothing about age. */
function meaningfulTime(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const t = new Date(text);
  return Number.isNaN(t.getTime()) || t.getTime() <= 0 ? undefined : t;
}

function isAttestationEntry(entry: { annotations?: Record<string, string>; platform?: { os?: string } }): boolean {
  return (
    entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || entry.platform?.os === 'unknown'
  );
}

/**
 * When the image was made: the config `created` (for an index the newest of its platform
 * images), else the `org.opencontainers.image.created` annotation of the root manifest.
 */
export async function imageTime(
  client: ClientForGates,
  repo: RepositoryRef,
  root: ManifestResult,
): Promise<ImageTime | undefined> {
  // biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON documents
  const images: Array<{ json: any; digest: string }> = [];
  if (isIndexMediaType(root.mediaType)) {
    for (const entry of (root.json.manifests ?? []) as Descriptor[]) {
      if (isAttestationEntry(entry) || isIndexMediaType(entry.mediaType ?? '')) continue;
      const child = await client.getManifest(repo, entry.digest);
      images.push({ json: child.json, digest: child.digest });
    }
  } else {
    images.push({ json: root.json, digest: root.digest });
  }
  const created: unknown[] = [];
  for (const image of images) {
    const config = image.json.config as { digest?: string } | undefined;
    if (!config?.digest) continue;
    const bytes = await client.getBlobBytes(repo, config.digest, 4 * 1024 * 1024);
    try {
      created.push(JSON.parse(bytes.toString('utf8')).created);
    } catch {
      // A config that is not JSON (an artifact) has no creation time to offer.
    }
  }
  return judgeCreated(created, root.json.annotations?.[CREATED_ANNOTATION], images.length);
}

/** The newest meaningful config `created` time, else the annotation; undefined when neither says. */
export function judgeCreated(
  configCreated: readonly unknown[],
  annotation: unknown,
  imageCount: number,
): ImageTime | undefined {
  const configTimes = configCreated.map(meaningfulTime).filter((t): t is Date => t !== undefined);
  if (configTimes.length) {
    const newest = new Date(Math.max(...configTimes.map((t) => t.getTime())));
    const from =
      imageCount > 1
        ? `the newest image config 'created' of its ${imageCount} platforms`
        : "the image config 'created'";
    return { time: newest, from };
  }
  const annotated = meaningfulTime(annotation);
  if (annotated) return { time: annotated, from: `the '${CREATED_ANNOTATION}' annotation` };
  return undefined;
}

export function formatAge(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  if (ms < 1000) return ms < 0 ? `${formatAge(-ms)} in the future` : '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join('');
}

export async function checkAge(
  client: ClientForGates,
  repo: RepositoryRef,
  root: ManifestResult,
  minAgeMs: number,
  now: Date,
): Promise<GateResult> {
  const time = await imageTime(client, repo, root);
  const required = formatAge(minAgeMs);
  if (!time) {
    return {
      gate: 'require-age',
      passed: false,
      detail: `the age of ${root.digest} cannot be judged: no image config 'created' time and no '${CREATED_ANNOTATION}' annotation`,
    };
  }
  const age = now.getTime() - time.time.getTime();
  const when = `created ${time.time.toISOString()} according to ${time.from}`;
  return age >= minAgeMs
    ? { gate: 'require-age', passed: true, detail: `${formatAge(age)} old (${when}), at least ${required}` }
    : {
        gate: 'require-age',
        passed: false,
        detail: `${root.digest} is ${age < 0 ? formatAge(age) : `only ${formatAge(age)} old`} (${when}); at least ${required} is required`,
      };
}

export async function checkGates(
  client: ClientForGates,
  repo: RepositoryRef,
  root: ManifestResult,
  options: GateOptions,
  now: Date,
): Promise<GateResult[]> {
  const results: GateResult[] = [];
  const guard = async (gate: GateName, fn: () => Promise<GateResult>): Promise<void> => {
    try {
      results.push(await fn());
    } catch (err) {
      results.push({ gate, passed: false, detail: `the check failed: ${describeError(err)}` });
    }
  };
  let bundles: BundleVerdicts | undefined;
  const verifier = bundleVerifierFor(options);
  if (verifier) {
    let cached: Promise<BundleVerdict[]> | undefined;
    bundles = () => {
      // bundle referrers (cosign v3), and with an identity the keyless layers of the legacy tags (cosign 2.x)
      cached ??= verifier().then(async (v: BundleVerifier) => [
        ...(await verifyBundleReferrers(client, repo, root.digest, v)),
        ...(options.keyless ? await verifyKeylessLegacy(client, repo, root.digest, v) : []),
      ]);
      return cached;
    };
  }
  if (options.requireSignature || options.publicKey || bundles) {
    await guard('require-signature', () => checkSignature(client, repo, root.digest, options.publicKey, bundles));
  }
  const attestations = options.requireAttestations ?? [];
  if (attestations.length) {
    await guard('require-attestations', () =>
      checkAttestations(client, repo, root.digest, attestations, options.publicKey, bundles),
    );
  }
  if (options.requireTags.length)
    await guard('require-tags', () => checkRequiredTags(client, repo, root.digest, options.requireTags));
  if (options.requireAge !== undefined) {
    const minAge = options.requireAge;
    await guard('require-age', () => checkAge(client, repo, root, minAge, now));
  }
  return results;
}

/** A refusal by the gates: carries every result so that the job summary can show them. */
export class GatesRefusedError extends OperationError {
  constructor(
    source: string,
    readonly results: readonly GateResult[],
  ) {
    super(
      `Promotion of ${source} refused, nothing was written`,
      results
        .filter((r) => !r.passed)
        .map((r) => `${r.gate}: ${r.detail}`)
        .join('; '),
    );
    this.name = 'GatesRefusedError';
  }
}

/** Throws one error naming every failed gate; nothing has been written when it is thrown. */
export function assertGatesPassed(source: string, results: readonly GateResult[]): void {
  if (results.some((r) => !r.passed)) throw new GatesRefusedError(source, results);
}
