// Keyless signing for cosign's legacy tag layout, as cosign 2.x does it: one ephemeral P-256 key
// certified by Fulcio for the job's OIDC identity; the simple-signing payload signed as a message
// (Rekor hashedrekord entry, RFC 3161 timestamp over the signature), each attestation as a DSSE
// envelope (Rekor dsse entry, cosign 2.x's default `--rekor-entry-type`, and an RFC 3161
// timestamp over the whole envelope JSON, which is what cosign 2.x timestamps and checks for
// attestations). @sigstore/sign builds and witnesses; Fulcio is asked here because
// @sigstore/sign's FulcioSigner keeps only the leaf, and the layout needs the chain too.
import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import type { SerializedBundle } from '@sigstore/bundle';
import type { Signer, Witness } from '@sigstore/sign';
import { OperationError } from '#shared/errors.js';
import { keylessAnnotations, pemCertificates, toPem } from '#shared/sigstore/cosign-keyless.js';
import { IN_TOTO_PAYLOAD_TYPE } from '#shared/sigstore/dsse.js';
import type { KeylessOptions } from '#shared/sigstore/keyless.js';

export interface Certificate {
  leafPem: string;
  /** the certificates above the leaf, PEM, as Fulcio returned them */
  chainPem: string;
  /** subject alternative name (URI or email) */
  identity: string;
  leaf: X509Certificate;
  /** the certificate that issued the leaf (the first of the chain), when Fulcio sent one */
  issuer: X509Certificate | undefined;
}

export interface SignedLayerMaterial {
  /** the layer blob: the payload, or the envelope JSON */
  payload: Buffer;
  /** certificate, chain, bundle and timestamp annotations (the signature annotation not included) */
  annotations: Record<string, string>;
  /** base64 signature (simple signing only) */
  signature?: string;
  logIndex?: string;
}

export interface LegacyKeylessSigner {
  /** the run's certificate, asked for once */
  certificate(): Promise<Certificate>;
  signPayload(payload: Buffer): Promise<SignedLayerMaterial>;
  signStatement(statementJson: Buffer): Promise<SignedLayerMaterial>;
}

/** The claim Fulcio's proof of possession signs: email when the token has a verified one, else sub. */
export function tokenSubject(token: string): string {
  let claims: { email?: unknown; email_verified?: unknown; sub?: unknown };
  try {
    claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    throw new OperationError('keyless signing', 'the OIDC token is not a JWT');
  }
  if (typeof claims.email === 'string' && claims.email_verified === true) return claims.email;
  if (typeof claims.sub === 'string' && claims.sub) return claims.sub;
  throw new OperationError('keyless signing', 'the OIDC token has no subject');
}

async function requestCertificate(fulcioUrl: string, token: string, key: KeyObject, pub: string): Promise<string[]> {
  const operation = `getting a signing certificate from ${fulcioUrl}`;
  const proof = sign('sha256', Buffer.from(tokenSubject(token)), key).toString('base64');
  let res: Response;
  try {
    res = await fetch(`${fulcioUrl}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: pub }, proofOfPossession: proof },
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new OperationError(operation, (err as Error).message);
  }
  const text = await res.text();
  if (!res.ok) throw new OperationError(operation, `HTTP ${res.status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}`);
  // biome-ignore lint/suspicious/noExplicitAny: Fulcio's JSON answer, checked below
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new OperationError(operation, 'the answer is not JSON');
  }
  const chain = (doc?.signedCertificateEmbeddedSct ?? doc?.signedCertificateDetachedSct)?.chain?.certificates;
  if (!Array.isArray(chain) || !chain.length || !chain.every((c: unknown) => typeof c === 'string')) {
    throw new OperationError(operation, 'the answer holds no certificate chain');
  }
  return chain as string[];
}

export async function createLegacyKeylessSigner(options: KeylessOptions): Promise<LegacyKeylessSigner> {
  if (!options.rekorUrl && !options.tsaUrl) {
    throw new OperationError('keyless signing', 'without a transparency log a timestamp authority is required');
  }
  const { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, TSAWitness } = await import('@sigstore/sign');
  const { bundleToJSON, envelopeToJSON } = await import('@sigstore/bundle');
  const { HashAlgorithm } = await import('@sigstore/protobuf-specs');
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicPem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  let certified: Promise<Certificate> | undefined;
  const certificate = () => {
    certified ??= (async () => {
      const chain = await requestCertificate(options.fulcioUrl, await options.getToken(), keys.privateKey, publicPem);
      const leaf = new X509Certificate(chain[0] as string);
      const m = /(?:URI|email):([^,]+)/.exec(leaf.subjectAltName ?? '');
      // re-encoded the way cosign's MarshalCertificatesToPEM writes them (64 columns)
      const pem = (text: string) => pemCertificates(text).map(toPem).join('');
      return {
        leafPem: pem(chain[0] as string),
        chainPem: chain.slice(1).map(pem).join(''),
        identity: m?.[1] ?? '',
        leaf,
        issuer: chain[1] ? new X509Certificate(chain[1]) : undefined,
      };
    })();
    return certified;
  };
  const signer: Signer = {
    async sign(data) {
      const cert = await certificate();
      return {
        signature: sign('sha256', data, keys.privateKey),
        key: { $case: 'x509Certificate', certificate: cert.leafPem },
      };
    },
  };
  const retry = { retries: 2 };
  const rekor = (entryType?: 'dsse') =>
    options.rekorUrl
      ? [new RekorWitness({ rekorBaseURL: options.rekorUrl, entryType, retry, timeout: 30_000 })]
      : ([] as Witness[]);
  const tsa = options.tsaUrl ? new TSAWitness({ tsaBaseURL: options.tsaUrl, retry, timeout: 30_000 }) : undefined;
  const logIndexOf = (b: SerializedBundle) => b.verificationMaterial.tlogEntries?.[0]?.logIndex;
  const withLogIndex = (m: SignedLayerMaterial, b: SerializedBundle) => {
    const logIndex = logIndexOf(b);
    return logIndex === undefined ? m : { ...m, logIndex };
  };
  return {
    certificate,
    async signPayload(payload) {
      const builder = new MessageSignatureBundleBuilder({ signer, witnesses: [...rekor(), ...(tsa ? [tsa] : [])] });
      const json = bundleToJSON(await builder.create({ data: payload }));
      const cert = await certificate();
      const timestamps = (json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map(
        (t) => t.signedTimestamp,
      );
      const signature = json.messageSignature?.signature ?? '';
      return withLogIndex(
        { payload, signature, annotations: keylessAnnotations(json, cert.chainPem, timestamps) },
        json,
      );
    },
    async signStatement(statementJson) {
      const builder = new DSSEBundleBuilder({ signer, witnesses: rekor('dsse') });
      const bundle = await builder.create({ data: statementJson, type: IN_TOTO_PAYLOAD_TYPE });
      if (bundle.content.$case !== 'dsseEnvelope') throw new Error('the DSSE bundle holds no envelope');
      // the layer blob is the very envelope text the log entry hashed
      const envelope = Buffer.from(JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope)));
      const json = bundleToJSON(bundle);
      const cert = await certificate();
      const timestamps: string[] = [];
      if (tsa) {
        const witnessed = await tsa.testify({
          $case: 'messageSignature',
          messageSignature: {
            messageDigest: {
              algorithm: HashAlgorithm.SHA2_256,
              digest: createHash('sha256').update(envelope).digest(),
            },
            signature: envelope,
          },
        });
        for (const t of witnessed.rfc3161Timestamps ?? [])
          timestamps.push(Buffer.from(t.signedTimestamp).toString('base64'));
      }
      return withLogIndex(
        { payload: envelope, annotations: keylessAnnotations(json, cert.chainPem, timestamps) },
        json,
      );
    },
  };
}
