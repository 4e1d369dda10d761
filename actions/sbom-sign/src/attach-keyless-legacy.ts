// Keyless signatures in cosign's legacy tag layout (`sign: keyless`, `format: legacy`): what
// cosign 2.x `sign` / `attest` write without a key. Re-running does not stack duplicates: every
// run gets a new certificate, so "the same" means the same claim (payload, or in-toto statement)
// signed by a certificate for the same identity issued by the same CA as this run's certificate,
// whose signature verifies. An attestation of the same predicate type signed that way is
// replaced, as `cosign attest --replace` does.
import { verify, X509Certificate } from 'node:crypto';
import type { Descriptor, RepositoryRef } from '#shared/oci/client.js';
import { digestOf } from '#shared/oci/digest.js';
import { cosignTag } from '#shared/oci/referrers.js';
import {
  CERTIFICATE_ANNOTATION,
  DSSE_MEDIA_TYPE,
  type LayerRelation,
  type LegacyClient,
  type LegacyLayer,
  PREDICATE_TYPE_ANNOTATION,
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  simpleSigningPayload,
  type WriteLayerResult,
  writeLegacyLayer,
} from '#shared/sigstore/cosign-legacy.js';
import { REKOR_BUNDLE_ANNOTATION, RFC3161_ANNOTATION } from '#shared/sigstore/cosign-keyless.js';
import { pae, parseEnvelope } from '#shared/sigstore/dsse.js';
import { parseStatement, type Statement } from '#shared/sigstore/in-toto.js';
import { dockerReference } from './attach.js';
import type { Certificate, LegacyKeylessSigner } from './keyless-legacy-signer.js';

const MAX_LAYER_BYTES = 32 * 1024 * 1024;

export interface KeylessLegacyWrite extends WriteLayerResult {
  layer: LegacyLayer;
  /** the Rekor log index of the layer written, or of the equal one found */
  logIndex?: string;
}

export interface AttachedKeylessLegacy {
  identity: string;
  signature: KeylessLegacyWrite;
  attestations: Array<KeylessLegacyWrite & { predicateType: string }>;
}

/** The certificate of an existing layer, when it is for our identity and from our certificate's CA. */
function sameSigner(existing: Descriptor, ours: Certificate): X509Certificate | undefined {
  const pem = existing.annotations?.[CERTIFICATE_ANNOTATION];
  // a layer without a signing time would not verify: it is not ours to keep in place of a new one
  const timed = existing.annotations?.[REKOR_BUNDLE_ANNOTATION] || existing.annotations?.[RFC3161_ANNOTATION];
  if (!pem || !timed) return undefined;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return undefined;
  }
  const m = /(?:URI|email):([^,]+)/.exec(cert.subjectAltName ?? '');
  if (!ours.identity || m?.[1] !== ours.identity) return undefined;
  const ca = ours.issuer;
  if (ca ? !(cert.checkIssued(ca) && cert.verify(ca.publicKey)) : cert.issuer !== ours.leaf.issuer) return undefined;
  return cert;
}

function verifies(cert: X509Certificate, message: Buffer, signatureB64: string): boolean {
  try {
    return verify('sha256', message, cert.publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export async function relateKeylessSignature(
  existing: Descriptor,
  payload: () => Promise<Buffer>,
  ours: { payload: Buffer; certificate: Certificate },
): Promise<LayerRelation> {
  if (existing.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || existing.digest !== digestOf(ours.payload)) return 'other';
  const cert = sameSigner(existing, ours.certificate);
  const sig = existing.annotations?.[SIGNATURE_ANNOTATION];
  if (!cert || !sig) return 'other';
  return verifies(cert, await payload(), sig) ? 'same' : 'other';
}

export async function relateKeylessAttestation(
  existing: Descriptor,
  payload: () => Promise<Buffer>,
  ours: { statement: Buffer; predicateType: string; certificate: Certificate },
): Promise<LayerRelation> {
  if (existing.mediaType !== DSSE_MEDIA_TYPE) return 'other';
  if (existing.annotations?.[PREDICATE_TYPE_ANNOTATION] !== ours.predicateType) return 'other';
  const cert = sameSigner(existing, ours.certificate);
  if (!cert) return 'other';
  const envelope = parseEnvelope((await payload()).toString('utf8'));
  if (!envelope) return 'other';
  const theirs = Buffer.from(envelope.payload, 'base64');
  const message = pae(envelope.payloadType, theirs);
  if (!envelope.signatures.some((s) => verifies(cert, message, s.sig))) return 'other';
  if (theirs.equals(ours.statement)) return 'same';
  return parseStatement(theirs)?.predicateType === ours.predicateType ? 'supersedes' : 'other';
}

/** The log index in a layer's Rekor bundle annotation, when it has one. */
function logIndexOf(annotations: Record<string, string> | undefined): string | undefined {
  try {
    const index = JSON.parse(annotations?.[REKOR_BUNDLE_ANNOTATION] ?? '')?.Payload?.logIndex;
    return Number.isSafeInteger(index) ? String(index) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The equal layer already in the tag, looked for before signing: a re-run writes no new log
 * entry for a claim that is already there.
 */
async function findSame(
  client: LegacyClient,
  repo: RepositoryRef,
  tag: string,
  relate: (existing: Descriptor, payload: () => Promise<Buffer>) => Promise<LayerRelation>,
): Promise<{ manifest: string; layer: Descriptor } | undefined> {
  let manifest: Awaited<ReturnType<LegacyClient['getManifest']>>;
  try {
    manifest = await client.getManifest(repo, tag);
  } catch (err) {
    if ((err as { status?: unknown }).status === 404) return undefined;
    throw err;
  }
  const layers: Descriptor[] = Array.isArray(manifest.json?.layers) ? manifest.json.layers : [];
  for (const layer of layers) {
    if (typeof layer?.digest !== 'string') continue;
    const relation = await relate(layer, () => client.getBlobBytes(repo, layer.digest, MAX_LAYER_BYTES));
    if (relation === 'same') return { manifest: manifest.digest, layer };
  }
  return undefined;
}

async function writeOne(
  client: LegacyClient,
  repo: RepositoryRef,
  digest: string,
  kind: 'sig' | 'att',
  relate: (existing: Descriptor, payload: () => Promise<Buffer>) => Promise<LayerRelation>,
  make: () => Promise<{ layer: LegacyLayer; logIndex?: string }>,
): Promise<KeylessLegacyWrite> {
  const tag = cosignTag(digest, kind);
  const found = await findSame(client, repo, tag, relate);
  if (found) {
    const layer: LegacyLayer = {
      mediaType: found.layer.mediaType,
      payload: await client.getBlobBytes(repo, found.layer.digest, MAX_LAYER_BYTES),
      annotations: found.layer.annotations ?? {},
    };
    const out: KeylessLegacyWrite = {
      tag,
      digest: found.manifest,
      layerDigest: found.layer.digest,
      status: 'unchanged',
      layer,
    };
    const logIndex = logIndexOf(found.layer.annotations);
    return logIndex === undefined ? out : { ...out, logIndex };
  }
  const made = await make();
  const written = await writeLegacyLayer(client, repo, digest, kind, made.layer, relate);
  const out: KeylessLegacyWrite = { ...written, layer: made.layer };
  return made.logIndex === undefined ? out : { ...out, logIndex: made.logIndex };
}

export async function attachKeylessLegacy(
  client: LegacyClient,
  repo: RepositoryRef,
  digest: string,
  signer: LegacyKeylessSigner,
  statements: readonly Statement[],
): Promise<AttachedKeylessLegacy> {
  const certificate = await signer.certificate();
  const payload = simpleSigningPayload(dockerReference(repo), digest);
  const signature = await writeOne(
    client,
    repo,
    digest,
    'sig',
    (existing, bytes) => relateKeylessSignature(existing, bytes, { payload, certificate }),
    async () => {
      const signed = await signer.signPayload(payload);
      return {
        layer: {
          mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
          payload,
          annotations: { [SIGNATURE_ANNOTATION]: signed.signature ?? '', ...signed.annotations },
        },
        ...(signed.logIndex === undefined ? {} : { logIndex: signed.logIndex }),
      };
    },
  );
  const attestations: AttachedKeylessLegacy['attestations'] = [];
  for (const statement of statements) {
    const bytes = Buffer.from(JSON.stringify(statement));
    const predicateType = statement.predicateType;
    const written = await writeOne(
      client,
      repo,
      digest,
      'att',
      (existing, blob) => relateKeylessAttestation(existing, blob, { statement: bytes, predicateType, certificate }),
      async () => {
        const signed = await signer.signStatement(bytes);
        return {
          layer: {
            mediaType: DSSE_MEDIA_TYPE,
            payload: signed.payload,
            // cosign writes an empty signature annotation on attestation layers
            annotations: {
              [SIGNATURE_ANNOTATION]: '',
              [PREDICATE_TYPE_ANNOTATION]: predicateType,
              ...signed.annotations,
            },
          },
          ...(signed.logIndex === undefined ? {} : { logIndex: signed.logIndex }),
        };
      },
    );
    attestations.push({ ...written, predicateType });
  }
  return { identity: certificate.identity, signature, attestations };
}
