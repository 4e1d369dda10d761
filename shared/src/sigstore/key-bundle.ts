// Sigstore bundles v0.3 signed with a key the user holds, the shape cosign v3 writes with
// `--key`: a DSSE envelope of the in-toto statement, verification material
// `publicKey.hint` = base64 of the SHA-256 of the key's DER SubjectPublicKeyInfo (cosign and
// sigstore-go compute it that way), the DSSE signature's `keyid` empty, and a Rekor entry only
// when a log is asked for. @sigstore/sign would write the hint as the keyid too: sigstore-go
// (cosign) then skips the signature, because its verifier's key id is not that hint ("accepted
// signatures do not match threshold, Found: 0"). So the signer hands no hint to the builder (the
// keyid and the envelope sent to Rekor stay as cosign makes them) and the hint is set in the
// verification material afterwards, which nothing signs or logs.
//
// Verification follows cosign's `verify --key` with the new bundle format: the key is what the
// user gave (a bundle's hint names a key, it does not prove one), the signature must verify with
// it, no log entry is required, and a log entry that is present is checked against the trusted
// root when one is given (its SET and body), else left unchecked and said so.
import { createHash, type KeyObject, sign as signWith, verify as verifyWith } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import { IN_TOTO_PAYLOAD_TYPE } from './dsse.js';
import type { Statement } from './in-toto.js';
import { publicKeyPem } from './keys.js';
import type { BundleVerifier } from './verify-bundle.js';

/** cosign's public key hint: base64 (standard) of the SHA-256 of the DER SubjectPublicKeyInfo. */
export function publicKeyHint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ format: 'der', type: 'spki' }))
    .digest('base64');
}

/** The key's fingerprint for messages: `SHA256:<hex>` of its SubjectPublicKeyInfo. */
export function keyFingerprint(key: KeyObject): string {
  return `SHA256:${createHash('sha256')
    .update(key.export({ format: 'der', type: 'spki' }))
    .digest('hex')}`;
}

/**
 * Why a key cannot sign a bundle here, or undefined. Sigstore verifiers (@sigstore/verify, and
 * so promote) check ECDSA with SHA-256 whatever the curve: P-384 and P-521 keys, which sign with
 * SHA-384 / SHA-512, would write bundles nothing verifies.
 */
export function bundleKeyProblem(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'prime256v1'
    ? undefined
    : `the key is ECDSA ${curve ?? 'of an unknown curve'}; bundles are signed with ECDSA P-256, RSA or Ed25519 keys (use format: legacy for this key)`;
}

/** The signature of `data` as Sigstore verifiers check it: ECDSA DER / RSA PKCS#1 v1.5 over SHA-256, or Ed25519. */
export function signForBundle(privateKey: KeyObject, data: Buffer): Buffer {
  return signWith(privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, privateKey);
}

export interface KeyBundleOptions {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** a Rekor v1 URL: the signature is logged there; undefined: no log entry */
  rekorUrl: string | undefined;
}

export interface SignedBundle {
  bundle: SerializedBundle;
  /** empty: a key signature has no certificate */
  certificatePem: string;
  logIndex?: string;
}

export interface KeyBundleSigner {
  sign(statement: Statement): Promise<SignedBundle>;
  /** the hint written into every bundle */
  hint: string;
  /** whether each bundle gets a transparency log entry */
  tlog: boolean;
}

export async function createKeyBundleSigner(options: KeyBundleOptions): Promise<KeyBundleSigner> {
  const problem = bundleKeyProblem(options.privateKey);
  if (problem) throw new Error(problem);
  const { DSSEBundleBuilder, RekorWitness } = await import('@sigstore/sign');
  const { bundleToJSON } = await import('@sigstore/bundle');
  const hint = publicKeyHint(options.publicKey);
  const pem = publicKeyPem(options.publicKey);
  const signer = {
    sign: async (data: Buffer) => ({
      signature: signForBundle(options.privateKey, data),
      key: { $case: 'publicKey' as const, publicKey: pem },
    }),
  };
  const witnesses = options.rekorUrl
    ? [new RekorWitness({ rekorBaseURL: options.rekorUrl, retry: { retries: 2 }, timeout: 30_000 })]
    : [];
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  return {
    hint,
    tlog: witnesses.length > 0,
    async sign(statement) {
      const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: IN_TOTO_PAYLOAD_TYPE });
      if (bundle.verificationMaterial.content.$case === 'publicKey')
        bundle.verificationMaterial.content.publicKey.hint = hint;
      const logIndex = bundle.verificationMaterial.tlogEntries[0]?.logIndex;
      const json = bundleToJSON(bundle);
      return logIndex === undefined
        ? { bundle: json, certificatePem: '' }
        : { bundle: json, certificatePem: '', logIndex };
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: bundles are foreign JSON, read field by field
type Json = any;

/**
 * Whether `bundleJson` already is a signature of exactly `payload` by this key: a v0.3 bundle
 * with a DSSE envelope of the in-toto payload type, that payload byte for byte, and a signature
 * that verifies with `publicKey`; with `needLog`, it must also carry a transparency log entry.
 * What sbom-sign takes as "already signed" (ECDSA signatures differ on every run, so comparing
 * bundles would never match).
 */
export function signsPayload(bundleJson: Json, payload: Buffer, publicKey: KeyObject, needLog: boolean): boolean {
  const envelope = bundleJson?.dsseEnvelope;
  if (typeof bundleJson?.mediaType !== 'string' || !bundleJson.mediaType.includes('v0.3')) return false;
  if (envelope?.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof envelope.payload !== 'string') return false;
  if (!Buffer.from(envelope.payload, 'base64').equals(payload)) return false;
  if (bundleJson.verificationMaterial?.publicKey?.hint !== publicKeyHint(publicKey)) return false;
  const tlog = bundleJson.verificationMaterial?.tlogEntries;
  if (needLog && !(Array.isArray(tlog) && tlog.length > 0)) return false;
  const sig = envelope.signatures?.[0]?.sig;
  if (typeof sig !== 'string' || envelope.signatures.length !== 1) return false;
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${IN_TOTO_PAYLOAD_TYPE.length} ${IN_TOTO_PAYLOAD_TYPE} ${payload.length} `),
    payload,
  ]);
  return verifyForBundle(publicKey, pae, Buffer.from(sig, 'base64'));
}

/** The same call @sigstore/verify makes: the digest follows from the key type. */
function verifyForBundle(publicKey: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verifyWith(undefined, data, publicKey, signature);
  } catch {
    return false;
  }
}

const EMPTY_TRUSTED_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/**
 * A verifier of key-signed bundles for promote's `public-key` gate. `trustedRoot` (optional)
 * holds the transparency logs whose entries are checked when a bundle carries one.
 */
export async function createKeyBundleVerifier(publicKey: KeyObject, trustedRoot: unknown): Promise<BundleVerifier> {
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  const { bundleFromJSON } = await import('@sigstore/bundle');
  const { Verifier, toSignedEntity, toTrustMaterial } = await import('@sigstore/verify');
  const ours = publicKeyHint(publicKey);
  const fingerprint = keyFingerprint(publicKey);
  // like cosign's --key: the given key, whatever hint the bundle names
  const trust = toTrustMaterial(TrustedRoot.fromJSON(trustedRoot ?? EMPTY_TRUSTED_ROOT), () => ({
    publicKey,
    validFor: () => true,
  }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  return {
    verify(bundleJson) {
      const bundle = bundleFromJSON(bundleJson);
      const material = bundle.verificationMaterial.content;
      if (material.$case !== 'publicKey') {
        throw new Error(
          `it is signed with a ${material.$case === 'certificate' ? 'certificate' : 'certificate chain'}, not with a key`,
        );
      }
      if (bundle.content.$case !== 'dsseEnvelope') throw new Error('the bundle holds no DSSE envelope');
      const logged = bundle.verificationMaterial.tlogEntries.length;
      const entity = toSignedEntity(bundle);
      // without a trusted root a log entry cannot be checked: it is left aside, not trusted
      const checked = trustedRoot === undefined ? { ...entity, tlogEntries: [] } : entity;
      try {
        verifier.verify(checked);
      } catch (err) {
        const hint = material.publicKey.hint;
        const message = (err as Error).message;
        if (/signature verification failed/.test(message) && hint && hint !== ours) {
          throw new Error(
            `it names another key (hint ${hint}, public-key is ${ours}) and does not verify with public-key`,
          );
        }
        if (/signature verification failed/.test(message)) {
          throw new Error('its signature does not verify with public-key (wrong key, or the envelope was changed)');
        }
        throw err;
      }
      const log =
        logged === 0
          ? 'no transparency log entry'
          : trustedRoot === undefined
            ? 'its transparency log entry not checked: no trusted-root'
            : 'its transparency log entry verified against trusted-root';
      return {
        identity: `public-key ${fingerprint}`,
        issuer: undefined,
        signer: `public-key ${fingerprint}, ${log}`,
        payload: Buffer.from(bundle.content.dsseEnvelope.payload),
      };
    },
  };
}
