// cosign's tag layout for signatures and attestations, written and read with our registry
// client: `sha256-<hex>.sig` holds one simple-signing layer per signature (the signature in the
// `dev.cosignproject.cosign/signature` annotation), `sha256-<hex>.att` one DSSE envelope layer per
// attestation (with a `predicateType` annotation). Every cosign version reads this layout.
import { type KeyObject, sign, verify } from 'node:crypto';
import { describeError } from '../errors.js';
import type { Descriptor, ManifestResult, RegistryClient, RepositoryRef } from '../oci/client.js';
import { digestOf } from '../oci/digest.js';
import { MediaType } from '../oci/media-types.js';
import { type CosignTagKind, cosignTag, isNotFound } from '../oci/referrers.js';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope, signEnvelope, verifyEnvelope } from './dsse.js';
import { parseStatement, type Statement, statementCovers } from './in-toto.js';
import { foreignText as f } from './foreign-text.js';
import { signingHash } from './keys.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

/** Payloads and envelopes are small; anything bigger in a signature tag is not ours to read. */
const MAX_PAYLOAD_BYTES = 32 * 1024 * 1024;

export type LegacyClient = Pick<RegistryClient, 'getManifest' | 'putManifest' | 'pushBlobBytes' | 'getBlobBytes'>;
export type LegacyReadClient = Pick<RegistryClient, 'getManifest' | 'getBlobBytes'>;

/**
 * The simple-signing payload cosign signs, byte for byte as cosign marshals it (key order
 * included): `docker-reference` is the repository, without tag or digest.
 */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: SIMPLE_SIGNING_TYPE,
      },
      optional: null,
    }),
  );
}

export interface LegacyLayer {
  mediaType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

export function signatureLayer(dockerReference: string, digest: string, key: KeyObject): LegacyLayer {
  const payload = simpleSigningPayload(dockerReference, digest);
  const sig = sign(signingHash(key) ?? null, payload, key);
  return {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    payload,
    annotations: { [SIGNATURE_ANNOTATION]: sig.toString('base64') },
  };
}

export function attestationLayer(statement: Statement, key: KeyObject): LegacyLayer {
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), key);
  return {
    mediaType: DSSE_MEDIA_TYPE,
    payload: Buffer.from(JSON.stringify(envelope)),
    // cosign writes an empty signature annotation on attestation layers: the signature is in the envelope
    annotations: { [SIGNATURE_ANNOTATION]: '', [PREDICATE_TYPE_ANNOTATION]: statement.predicateType },
  };
}

/** The config cosign writes for its signature images: empty, with one diff_id per layer. */
export function legacyConfig(layerDigests: readonly string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layerDigests },
      config: {},
    }),
  );
}

/** A cosign tag's manifest, or null when the tag does not exist. */
export async function readTag(
  client: LegacyReadClient,
  repo: RepositoryRef,
  tag: string,
): Promise<ManifestResult | null> {
  try {
    return await client.getManifest(repo, tag);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** The well-formed layer descriptors of a manifest ([] for none, or for a missing manifest). */
export function layersOf(manifest: ManifestResult | null): Descriptor[] {
  const layers = manifest?.json?.layers;
  if (!Array.isArray(layers)) return [];
  return layers.filter(
    (l: unknown): l is Descriptor =>
      !!l && typeof (l as Descriptor).digest === 'string' && typeof (l as Descriptor).mediaType === 'string',
  );
}

/** How an existing layer relates to the one being added. */
export type LayerRelation = 'same' | 'supersedes' | 'other';

export interface WriteLayerResult {
  tag: string;
  /** digest of the signature manifest after the write (or as found, when unchanged) */
  digest: string;
  /** digest of the layer (payload blob) that holds ours */
  layerDigest: string;
  status: 'created' | 'added' | 'replaced' | 'unchanged';
}

/**
 * Adds a layer to the cosign tag of `subject`, keeping every layer already there except those
 * `relate` says ours supersedes. When `relate` finds the same signature already there, nothing
 * is written (re-running a step does not stack duplicates).
 */
export async function writeLegacyLayer(
  client: LegacyClient,
  repo: RepositoryRef,
  subject: string,
  kind: CosignTagKind,
  layer: LegacyLayer,
  relate: (existing: Descriptor, payload: () => Promise<Buffer>) => Promise<LayerRelation>,
): Promise<WriteLayerResult> {
  const tag = cosignTag(subject, kind);
  const current = await readTag(client, repo, tag);
  const kept: Descriptor[] = [];
  let replaced = false;
  for (const existing of layersOf(current)) {
    const relation = await relate(existing, () => client.getBlobBytes(repo, existing.digest, MAX_PAYLOAD_BYTES));
    if (relation === 'same' && current) {
      return { tag, digest: current.digest, layerDigest: existing.digest, status: 'unchanged' };
    }
    if (relation === 'supersedes') replaced = true;
    else kept.push(existing);
  }
  const pushed = await client.pushBlobBytes(repo, layer.payload);
  const ours: Descriptor = {
    mediaType: layer.mediaType,
    size: pushed.size,
    digest: pushed.digest,
    annotations: layer.annotations,
  };
  const layers = [...kept, ours].map((l) => {
    const d: Descriptor = { mediaType: l.mediaType, size: l.size, digest: l.digest };
    if (l.annotations) d.annotations = l.annotations;
    return d;
  });
  const config = legacyConfig(layers.map((l) => l.digest));
  const configBlob = await client.pushBlobBytes(repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, size: configBlob.size, digest: configBlob.digest },
      layers,
    }),
  );
  const put = await client.putManifest(repo, tag, manifest, MediaType.OciManifest);
  return {
    tag,
    digest: put.digest,
    layerDigest: pushed.digest,
    status: current === null ? 'created' : replaced ? 'replaced' : 'added',
  };
}

/** Whether a simple-signing payload claims the digest: the parsed claim, or why not. */
export function checkSimpleSigningPayload(
  payload: Buffer,
  digest: string,
): { ok: true; dockerReference: string } | { ok: false; reason: string } {
  // biome-ignore lint/suspicious/noExplicitAny: foreign JSON, checked field by field
  let doc: any;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, reason: 'its payload is not JSON' };
  }
  if (doc?.critical?.type !== SIMPLE_SIGNING_TYPE)
    return { ok: false, reason: 'its payload is not a cosign simple-signing claim' };
  const signed = doc.critical.image?.['docker-manifest-digest'];
  if (signed !== digest) {
    return { ok: false, reason: `it signs ${typeof signed === 'string' ? f(signed) : 'no digest'}, not ${digest}` };
  }
  const ref = doc.critical.identity?.['docker-reference'];
  return { ok: true, dockerReference: typeof ref === 'string' ? ref : '' };
}

function verifyRaw(key: KeyObject, payload: Buffer, signatureB64: string): boolean {
  try {
    return verify(signingHash(key) ?? null, payload, key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** One signature or attestation layer as the gate judged it. */
export interface LayerVerdict {
  layer: string;
  valid: boolean;
  /** why it is valid (what was checked) or why not */
  detail: string;
  predicateType?: string;
}

/**
 * Checks every simple-signing layer of `sha256-<hex>.sig`: the payload must claim `digest` and,
 * when a key is given, the signature must verify with it. Without a key only the claim is
 * checked (a signature for this digest exists, from anyone).
 */
export async function verifyLegacySignatures(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  key: KeyObject | undefined,
): Promise<{ tag: string; found: boolean; verdicts: LayerVerdict[] }> {
  const tag = cosignTag(digest, 'sig');
  const manifest = await readTag(client, repo, tag);
  if (!manifest) return { tag, found: false, verdicts: [] };
  const verdicts: LayerVerdict[] = [];
  for (const layer of layersOf(manifest)) {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) continue;
    const verdict = await judgeSignatureLayer(client, repo, digest, key, layer);
    verdicts.push(verdict);
  }
  return { tag, found: true, verdicts };
}

async function judgeSignatureLayer(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  key: KeyObject | undefined,
  layer: Descriptor,
): Promise<LayerVerdict> {
  const name = layer.digest;
  let payload: Buffer;
  try {
    payload = await client.getBlobBytes(repo, layer.digest, MAX_PAYLOAD_BYTES);
  } catch (err) {
    return { layer: name, valid: false, detail: `its payload cannot be read (${f(describeError(err))})` };
  }
  const claim = checkSimpleSigningPayload(payload, digest);
  if (!claim.ok) return { layer: name, valid: false, detail: claim.reason };
  if (!key) return { layer: name, valid: true, detail: `signs ${digest} (not verified: no key or identity given)` };
  const sig = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (!sig) return { layer: name, valid: false, detail: 'it carries no signature annotation' };
  if (!verifyRaw(key, payload, sig))
    return { layer: name, valid: false, detail: 'its signature does not verify with public-key' };
  return { layer: name, valid: true, detail: `signature over ${digest} verified with public-key` };
}

/**
 * Checks every DSSE layer of `sha256-<hex>.att`: the envelope must verify with the key (when
 * given), hold an in-toto statement whose subject carries `digest`, and its predicate type must
 * be the one the layer's annotation announces (the annotation alone proves nothing).
 */
export async function verifyLegacyAttestations(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  key: KeyObject | undefined,
): Promise<{ tag: string; found: boolean; verdicts: LayerVerdict[] }> {
  const tag = cosignTag(digest, 'att');
  const manifest = await readTag(client, repo, tag);
  if (!manifest) return { tag, found: false, verdicts: [] };
  const verdicts: LayerVerdict[] = [];
  for (const layer of layersOf(manifest)) {
    if (layer.mediaType !== DSSE_MEDIA_TYPE) continue;
    verdicts.push(await judgeAttestationLayer(client, repo, digest, key, layer));
  }
  return { tag, found: true, verdicts };
}

async function judgeAttestationLayer(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  key: KeyObject | undefined,
  layer: Descriptor,
): Promise<LayerVerdict> {
  const name = layer.digest;
  let bytes: Buffer;
  try {
    bytes = await client.getBlobBytes(repo, layer.digest, MAX_PAYLOAD_BYTES);
  } catch (err) {
    return { layer: name, valid: false, detail: `its envelope cannot be read (${f(describeError(err))})` };
  }
  const envelope = parseEnvelope(bytes.toString('utf8'));
  if (!envelope) return { layer: name, valid: false, detail: 'it is not a DSSE envelope' };
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { layer: name, valid: false, detail: `its payload type is not in-toto` };
  }
  const statement = parseStatement(Buffer.from(envelope.payload, 'base64'));
  if (!statement) return { layer: name, valid: false, detail: 'its payload is not an in-toto statement' };
  const predicateType = statement.predicateType;
  const announced = layer.annotations?.[PREDICATE_TYPE_ANNOTATION];
  if (announced !== undefined && announced !== predicateType) {
    return {
      layer: name,
      valid: false,
      detail: `its annotation says ${f(announced)} but it holds ${f(predicateType)}`,
      predicateType,
    };
  }
  if (!statementCovers(statement, digest)) {
    return { layer: name, valid: false, detail: `its subject is not ${digest}`, predicateType };
  }
  if (key && !verifyEnvelope(envelope, key)) {
    return {
      layer: name,
      valid: false,
      detail: 'its envelope signature does not verify with public-key',
      predicateType,
    };
  }
  return {
    layer: name,
    valid: true,
    detail: key
      ? `${f(predicateType)} over ${digest} verified with public-key`
      : `${f(predicateType)} over ${digest} (not verified: no key given)`,
    predicateType,
  };
}

/** True when an existing signature layer is ours already: same payload, and it verifies with our key. */
export async function sameSignature(
  existing: Descriptor,
  payload: () => Promise<Buffer>,
  ours: LegacyLayer,
  key: KeyObject,
): Promise<boolean> {
  if (existing.mediaType !== ours.mediaType || existing.digest !== digestOf(ours.payload)) return false;
  const sig = existing.annotations?.[SIGNATURE_ANNOTATION];
  if (!sig) return false;
  return verifyRaw(key, await payload(), sig);
}

/**
 * How an existing attestation layer relates to ours: the same statement signed by our key is
 * 'same'; an attestation of the same predicate type signed by our key is 'supersedes' (a re-run
 * replaces its own older SBOM, as `cosign attest --replace` does); anything else stays.
 */
export async function relateAttestation(
  existing: Descriptor,
  payload: () => Promise<Buffer>,
  ours: { statement: Statement },
  key: KeyObject,
): Promise<LayerRelation> {
  if (existing.mediaType !== DSSE_MEDIA_TYPE) return 'other';
  if (existing.annotations?.[PREDICATE_TYPE_ANNOTATION] !== ours.statement.predicateType) return 'other';
  const envelope = parseEnvelope((await payload()).toString('utf8'));
  if (!envelope || !verifyEnvelope(envelope, key)) return 'other';
  const theirs = Buffer.from(envelope.payload, 'base64');
  if (theirs.equals(Buffer.from(JSON.stringify(ours.statement)))) return 'same';
  const statement = parseStatement(theirs);
  return statement && statement.predicateType === ours.statement.predicateType ? 'supersedes' : 'other';
}
