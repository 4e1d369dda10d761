// Keyless signing: an ephemeral key certified by Fulcio for the job's OIDC identity, the
// signature witnessed by Rekor and/or a timestamp authority, packaged as a Sigstore bundle v0.3
// around a DSSE envelope (what cosign v3 writes). @sigstore/sign is loaded only when a keyless
// signature is asked for: key-based runs never pay for its HTTP stack.
import type { SerializedBundle } from '@sigstore/bundle';
import { OperationError } from '../errors.js';
import { IN_TOTO_PAYLOAD_TYPE } from './dsse.js';
import type { Statement } from './in-toto.js';

export const PUBLIC_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const PUBLIC_REKOR_URL = 'https://rekor.sigstore.dev';
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface KeylessOptions {
  fulcioUrl: string;
  /** undefined: no transparency log entry (then a TSA is required) */
  rekorUrl: string | undefined;
  tsaUrl: string | undefined;
  /** the OIDC identity token for audience `sigstore` */
  getToken: () => Promise<string>;
}

export interface KeylessSigner {
  sign(statement: Statement): Promise<{ bundle: SerializedBundle; certificatePem: string; logIndex?: string }>;
}

export async function createKeylessSigner(options: KeylessOptions): Promise<KeylessSigner> {
  if (!options.rekorUrl && !options.tsaUrl) {
    throw new OperationError('keyless signing', 'without a transparency log a timestamp authority is required');
  }
  const { DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = await import('@sigstore/sign');
  const { bundleToJSON } = await import('@sigstore/bundle');
  const signer = new FulcioSigner({
    fulcioBaseURL: options.fulcioUrl,
    identityProvider: { getToken: options.getToken },
    retry: { retries: 2 },
    timeout: 30_000,
  });
  const witnesses = [];
  if (options.rekorUrl)
    witnesses.push(new RekorWitness({ rekorBaseURL: options.rekorUrl, retry: { retries: 2 }, timeout: 30_000 }));
  if (options.tsaUrl)
    witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaUrl, retry: { retries: 2 }, timeout: 30_000 }));
  const builder = new DSSEBundleBuilder({ signer, witnesses });
  return {
    async sign(statement) {
      const bundle = await builder.create({ data: Buffer.from(JSON.stringify(statement)), type: IN_TOTO_PAYLOAD_TYPE });
      const json = bundleToJSON(bundle);
      const material = bundle.verificationMaterial.content;
      const der =
        material.$case === 'certificate'
          ? material.certificate.rawBytes
          : material.$case === 'x509CertificateChain'
            ? material.x509CertificateChain.certificates[0]?.rawBytes
            : undefined;
      const certificatePem = der
        ? `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
            .toString('base64')
            .replace(/(.{64})/g, '$1\n')
            .trim()}\n-----END CERTIFICATE-----\n`
        : '';
      const logIndex = bundle.verificationMaterial.tlogEntries[0]?.logIndex;
      return logIndex === undefined ? { bundle: json, certificatePem } : { bundle: json, certificatePem, logIndex };
    },
  };
}

/**
 * The job's OIDC token from the Actions runtime (`id-token: write`), for `audience`. The token is
 * handed to `mask` before it is returned.
 */
export async function actionsIdToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  mask: (secret: string) => void,
): Promise<string> {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !requestToken) {
    throw new OperationError(
      'getting the OIDC token for keyless signing',
      "ACTIONS_ID_TOKEN_REQUEST_URL is not set: the job needs 'permissions: id-token: write'",
    );
  }
  const target = new URL(url);
  target.searchParams.set('audience', audience);
  let res: Response;
  try {
    res = await fetch(target, { headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' } });
  } catch (err) {
    throw new OperationError('getting the OIDC token for keyless signing', (err as Error).message);
  }
  const text = await res.text();
  if (!res.ok) {
    throw new OperationError(
      'getting the OIDC token for keyless signing',
      `HTTP ${res.status} from the Actions token service`,
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || value === '') {
    throw new OperationError(
      'getting the OIDC token for keyless signing',
      'the Actions token service answered without a token',
    );
  }
  mask(value);
  return value;
}

/** The subject alternative name of a PEM certificate (URI or email), for the summary and outputs. */
export async function certificateIdentity(pem: string): Promise<string | undefined> {
  if (!pem) return undefined;
  const { X509Certificate } = await import('node:crypto');
  const san = new X509Certificate(pem).subjectAltName ?? '';
  const m = /(?:URI|email):([^,]+)/.exec(san);
  return m?.[1];
}
