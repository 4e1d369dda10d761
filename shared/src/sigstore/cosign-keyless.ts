// cosign 2.x keyless signatures in the legacy tag layout, both ways. A keyless `.sig` layer is the
// simple-signing payload with its signature, the Fulcio certificate and chain, the Rekor entry as
// a "bundle" annotation (`{"SignedEntryTimestamp":…,"Payload":{"body":…,"integratedTime":…,
// "logIndex":…,"logID":…}}`) and an RFC 3161 timestamp (`{"SignedRFC3161Timestamp":…}`); a `.att`
// layer is a DSSE envelope with the same annotations and an empty signature annotation.
// Writing: the annotations are made from a Sigstore bundle. Reading: each layer is turned back
// into a Sigstore bundle v0.1 (the SET is the inclusion promise, the body the canonicalized body)
// and verified with @sigstore/verify, then the signed claim must name the image digest.
//
// One difference from bundles is kept on purpose: cosign 2.x timestamps an attestation's whole
// envelope JSON (the layer blob), not the DSSE signature, and checks it that way; the reader does
// the same (see `timestamped`).
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import { describeError } from '../errors.js';
import type { Descriptor, RepositoryRef } from '../oci/client.js';
import { cosignTag } from '../oci/referrers.js';
import { COSIGN_SIGN_PREDICATE } from './bundle-referrer.js';
import {
  CERTIFICATE_ANNOTATION,
  checkSimpleSigningPayload,
  DSSE_MEDIA_TYPE,
  type LegacyReadClient,
  layersOf,
  PREDICATE_TYPE_ANNOTATION,
  SIGNATURE_ANNOTATION,
  readTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from './cosign-legacy.js';
import { IN_TOTO_PAYLOAD_TYPE, parseEnvelope } from './dsse.js';
import { foreignText as f } from './foreign-text.js';
import { parseStatement, statementCovers } from './in-toto.js';
import type { BundleVerdict, BundleVerifier } from './verify-bundle.js';

export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
export const RFC3161_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';
export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

const MAX_LAYER_BYTES = 32 * 1024 * 1024;

/** A DER certificate as PEM, the way Go's pem.Encode writes it (64 columns, final newline). */
export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** The DER bodies of every certificate in PEM text, in order. */
export function pemCertificates(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    out.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

type SerializedTlogEntry = SerializedBundle['verificationMaterial']['tlogEntries'][number];

/** cosign's Rekor "bundle" annotation for a log entry, fields in the order Go marshals them. */
export function rekorBundleAnnotation(
  entry: Pick<SerializedTlogEntry, 'logIndex' | 'logId' | 'integratedTime' | 'inclusionPromise' | 'canonicalizedBody'>,
): string {
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (!set) throw new Error('the log entry carries no signed entry timestamp');
  return JSON.stringify({
    SignedEntryTimestamp: set,
    Payload: {
      body: entry.canonicalizedBody,
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
    },
  });
}

/** cosign's timestamp annotation: the DER TimeStampResp, base64 (Go's []byte in JSON). */
export function rfc3161Annotation(signedTimestamp: string): string {
  return JSON.stringify({ SignedRFC3161Timestamp: signedTimestamp });
}

/**
 * The certificate, chain, Rekor and timestamp annotations for what a Sigstore bundle witnessed.
 * `chainPem` is Fulcio's chain above the leaf (a bundle holds the leaf only).
 */
export function keylessAnnotations(
  bundle: SerializedBundle,
  chainPem: string,
  timestamps: readonly string[],
): Record<string, string> {
  const material = bundle.verificationMaterial;
  const leaf =
    material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates?.[0]?.rawBytes ?? undefined;
  if (!leaf) throw new Error('the bundle holds no certificate');
  const out: Record<string, string> = {
    [CERTIFICATE_ANNOTATION]: toPem(Buffer.from(leaf, 'base64')),
    [CHAIN_ANNOTATION]: chainPem,
  };
  // bundleToJSON leaves out an empty list
  const entry = material.tlogEntries?.[0];
  if (entry) out[REKOR_BUNDLE_ANNOTATION] = rekorBundleAnnotation(entry);
  const first = timestamps[0];
  if (first) out[RFC3161_ANNOTATION] = rfc3161Annotation(first);
  return out;
}

/** A legacy layer turned into what @sigstore/verify takes. */
export interface ConvertedLayer {
  bundle: object;
  /** the signed artifact of a simple-signing layer (a message signature needs it) */
  artifact?: Buffer;
  /** what cosign's RFC 3161 timestamp covers, when it is not the signature itself */
  timestamped?: Buffer;
}

// biome-ignore lint/suspicious/noExplicitAny: foreign JSON, checked field by field
function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isB64 = (s: unknown): s is string => typeof s === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(s);

/** The tlog entry of a cosign Rekor "bundle" annotation, or the reason it cannot be one. */
export function tlogEntryFromAnnotation(text: string): { entry: object } | { reason: string } {
  const doc = parseJson(text);
  const payload = doc?.Payload;
  if (!doc || typeof payload !== 'object' || payload === null) return { reason: 'its Rekor bundle is not JSON' };
  const { body, integratedTime, logIndex, logID } = payload;
  if (
    !isB64(doc.SignedEntryTimestamp) ||
    !isB64(body) ||
    !Number.isSafeInteger(integratedTime) ||
    !Number.isSafeInteger(logIndex) ||
    typeof logID !== 'string' ||
    !/^[0-9a-f]+$/i.test(logID)
  ) {
    return { reason: 'its Rekor bundle lacks a field (SignedEntryTimestamp, body, integratedTime, logIndex, logID)' };
  }
  const entryBody = parseJson(Buffer.from(body, 'base64').toString('utf8'));
  if (typeof entryBody?.kind !== 'string' || typeof entryBody?.apiVersion !== 'string') {
    return { reason: 'its Rekor entry body names no kind and version' };
  }
  return {
    entry: {
      logIndex: String(logIndex),
      logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
      kindVersion: { kind: entryBody.kind, version: entryBody.apiVersion },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: doc.SignedEntryTimestamp },
      canonicalizedBody: body,
    },
  };
}

/** The certificate (or key) a Rekor entry body records for its signature, base64 of PEM. */
function bodyVerifier(body: unknown): string | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: foreign JSON, checked field by field
  const b = body as any;
  switch (b?.kind) {
    case 'hashedrekord':
      return b.spec?.signature?.publicKey?.content;
    case 'dsse':
      return b.spec?.signatures?.[0]?.verifier;
    case 'intoto':
      // v0.0.1 records the key beside the content, v0.0.2 with each envelope signature
      return b.spec?.publicKey ?? b.spec?.content?.envelope?.signatures?.[0]?.publicKey;
    default:
      return undefined;
  }
}

/**
 * Whether the log entry recorded the layer's certificate, as cosign checks it (the verifier of
 * the bundle only compares signatures and digests).
 */
function entryCertificateProblem(annotation: string, leaf: Buffer): string | undefined {
  const doc = parseJson(annotation);
  const body = parseJson(Buffer.from(String(doc?.Payload?.body ?? ''), 'base64').toString('utf8'));
  const recorded = bodyVerifier(body);
  if (typeof recorded !== 'string') return 'its Rekor entry records no certificate';
  return recordsCertificate(recorded, leaf) ? undefined : 'its Rekor entry records another certificate';
}

function recordsCertificate(recorded: string, leaf: Buffer): boolean {
  const pem = Buffer.from(recorded, 'base64').toString('utf8');
  const cert = pemCertificates(pem)[0];
  if (cert) return cert.equals(leaf);
  try {
    const key = createPublicKey(pem).export({ format: 'der', type: 'spki' });
    return key.equals(new X509Certificate(leaf).publicKey.export({ format: 'der', type: 'spki' }));
  } catch {
    return false;
  }
}

/**
 * A cosign keyless layer (payload + annotations) as a Sigstore bundle v0.1. Layers without a
 * certificate are not keyless (key-based layers are for `public-key`).
 */
export function layerToBundle(layer: {
  mediaType: string;
  payload: Buffer;
  annotations: Record<string, string> | undefined;
}): ConvertedLayer | { reason: string } {
  const a = layer.annotations ?? {};
  const leaf = pemCertificates(a[CERTIFICATE_ANNOTATION] ?? '')[0];
  if (!leaf) return { reason: 'it carries no certificate (not a keyless signature)' };
  const chain = pemCertificates(a[CHAIN_ANNOTATION] ?? '');
  const tlogEntries: object[] = [];
  const rekor = a[REKOR_BUNDLE_ANNOTATION];
  if (rekor !== undefined) {
    const converted = tlogEntryFromAnnotation(rekor);
    if ('reason' in converted) return converted;
    const problem = entryCertificateProblem(rekor, leaf);
    if (problem) return { reason: problem };
    tlogEntries.push(converted.entry);
  }
  const rfc3161Timestamps: object[] = [];
  const ts = a[RFC3161_ANNOTATION];
  if (ts !== undefined) {
    const signed = parseJson(ts)?.SignedRFC3161Timestamp;
    if (!isB64(signed) || signed === '') return { reason: 'its RFC 3161 timestamp annotation is not cosign JSON' };
    rfc3161Timestamps.push({ signedTimestamp: signed });
  }
  if (!tlogEntries.length && !rfc3161Timestamps.length) {
    return { reason: 'it carries neither a Rekor entry nor an RFC 3161 timestamp (no trusted signing time)' };
  }
  const verificationMaterial = {
    x509CertificateChain: { certificates: [leaf, ...chain].map((c) => ({ rawBytes: c.toString('base64') })) },
    tlogEntries,
    timestampVerificationData: { rfc3161Timestamps },
  };
  if (layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) {
    const sig = a[SIGNATURE_ANNOTATION];
    if (!sig || !isB64(sig)) return { reason: 'it carries no signature annotation' };
    return {
      bundle: {
        mediaType: BUNDLE_V01_MEDIA_TYPE,
        verificationMaterial,
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(layer.payload).digest('base64') },
          signature: sig,
        },
      },
      artifact: layer.payload,
    };
  }
  if (layer.mediaType === DSSE_MEDIA_TYPE) {
    const envelope = parseEnvelope(layer.payload.toString('utf8'));
    if (!envelope) return { reason: 'it is not a DSSE envelope' };
    return {
      bundle: {
        mediaType: BUNDLE_V01_MEDIA_TYPE,
        verificationMaterial,
        dsseEnvelope: {
          payload: envelope.payload,
          payloadType: envelope.payloadType,
          signatures: envelope.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })),
        },
      },
      // cosign 2.x timestamps the attestation layer's blob, the whole envelope JSON
      timestamped: layer.payload,
    };
  }
  return { reason: `its media type ${f(layer.mediaType)} is not a cosign signature's` };
}

/**
 * Every keyless layer of `sha256-<hex>.sig` and `.att`, each verified against the trusted root
 * and identity policy of `verifier`, and its claim compared with `digest`. Signature verdicts carry
 * the cosign signature predicate type (the same claim a cosign v3 signature bundle makes); layers
 * without a certificate are left to `public-key`.
 */
export async function verifyKeylessLegacy(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  verifier: BundleVerifier,
): Promise<BundleVerdict[]> {
  const verdicts: BundleVerdict[] = [];
  for (const kind of ['sig', 'att'] as const) {
    const tag = cosignTag(digest, kind);
    const manifest = await readTag(client, repo, tag);
    if (!manifest) continue;
    for (const layer of layersOf(manifest)) {
      if (!layer.annotations?.[CERTIFICATE_ANNOTATION]) continue;
      const wanted = kind === 'sig' ? SIMPLE_SIGNING_MEDIA_TYPE : DSSE_MEDIA_TYPE;
      if (layer.mediaType !== wanted) continue;
      const verdict = await judgeLayer(client, repo, digest, verifier, kind, layer);
      verdicts.push({ ...verdict, layer: `${tag} layer ${layer.digest}`, where: tag });
    }
  }
  return verdicts;
}

async function judgeLayer(
  client: LegacyReadClient,
  repo: RepositoryRef,
  digest: string,
  verifier: BundleVerifier,
  kind: 'sig' | 'att',
  layer: Descriptor,
): Promise<BundleVerdict> {
  const name = layer.digest;
  const announced = kind === 'att' ? layer.annotations?.[PREDICATE_TYPE_ANNOTATION] : COSIGN_SIGN_PREDICATE;
  const refuse = (detail: string, extra: Partial<BundleVerdict> = {}): BundleVerdict => {
    const v: BundleVerdict = { layer: name, valid: false, detail, ...extra };
    if (kind === 'sig') v.predicateType = COSIGN_SIGN_PREDICATE;
    return v;
  };
  let payload: Buffer;
  try {
    payload = await client.getBlobBytes(repo, layer.digest, MAX_LAYER_BYTES);
  } catch (err) {
    return refuse(`its payload cannot be read (${f(describeError(err))})`);
  }
  const converted = layerToBundle({ mediaType: layer.mediaType, payload, annotations: layer.annotations });
  if ('reason' in converted) return refuse(converted.reason);
  let verified: ReturnType<BundleVerifier['verify']>;
  try {
    verified = verifier.verify(converted.bundle, { artifact: converted.artifact, timestamped: converted.timestamped });
  } catch (err) {
    return refuse(`it does not verify: ${f(describeError(err), 400)}`);
  }
  const identity = verified.identity;
  const who = `signed by ${f(identity)} (${f(verified.issuer ?? 'no issuer')})`;
  if (kind === 'sig') {
    const claim = checkSimpleSigningPayload(verified.payload, digest);
    if (!claim.ok) return refuse(claim.reason, { identity });
    return {
      layer: name,
      valid: true,
      detail: `signature over ${digest} ${who}`,
      predicateType: COSIGN_SIGN_PREDICATE,
      identity,
    };
  }
  const envelope = parseEnvelope(payload.toString('utf8'));
  if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE) return refuse('its payload type is not in-toto', { identity });
  const statement = parseStatement(verified.payload);
  if (!statement) return refuse('its payload is not an in-toto statement', { identity });
  const predicateType = statement.predicateType;
  if (announced !== undefined && announced !== predicateType) {
    return refuse(`its annotation says ${f(announced)} but it holds ${f(predicateType)}`, { predicateType, identity });
  }
  if (!statementCovers(statement, digest)) {
    return refuse(`it signs another subject than ${digest}`, { predicateType, identity });
  }
  return { layer: name, valid: true, detail: `${f(predicateType)} over ${digest} ${who}`, predicateType, identity };
}
