// A private Sigstore instance on 127.0.0.1 for keyless tests: @sigstore/mock's Fulcio, Rekor and
// timestamp-authority handlers behind one HTTP server (the bundle under test reaches them by
// `fulcio-url` / `rekor-url` / `tsa-url`, as it would a private instance), and the trusted root
// (CA, CT log, transparency log, TSA) assembled from the same keys, for `trusted-root`.
//
// Two things the mocks do differently from the real services are bridged here, in the open:
// - Fulcio: the mock takes the certificate SAN from one claim of the token as it is; real
//   Fulcio makes `https://github.com/<job_workflow_ref>` of a GitHub Actions token. The token
//   is checked against the OIDC fake (audience `sigstore`, its signature) and handed on with that
//   SAN in a claim the mock reads.
// - Rekor: the mock stores the proposed `dsse` entry as the entry body; real Rekor stores the
//   canonical dsse v0.0.1 body (hashes of envelope and payload, signatures with verifiers),
//   which is what verifiers compare. The proposal is turned into that body first; likewise an
//   intoto proposal into Rekor's canonical intoto body.
// - Fulcio v1: cosign 2.x asks `/api/v1/signingCert` (token as bearer, PEM chain back); the
//   request is handed to the same v2 handler and its chain returned the v1 way.
// The clock is fixed at a whole second: the mock TSA's ASN.1 encoder drops trailing zeros of the
// time fraction (`.120` becomes `.12`, which @sigstore/core refuses). It runs 3 s ahead: the mock
// TSA issues its own certificates at the real time (rounded up to the second), and the verifier
// wants the timestamp inside their validity.
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fulcioHandler,
  type HandlerFn,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';
import type { OidcFake } from './actions-oidc.js';

export interface SigstoreFake {
  url: string;
  fulcioUrl: string;
  rekorUrl: string;
  tsaUrl: string;
  /** the TrustedRoot JSON (sigstore protobuf-specs) for these services */
  trustedRoot: object;
  /** the time every certificate, log entry and timestamp carries */
  clock: Date;
  requests: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

type Route = (body: string, headers: IncomingHttpHeaders) => ReturnType<HandlerFn>;

const b64 = (b: ArrayBufferView | Buffer) => Buffer.from(b as Uint8Array).toString('base64');

function newKeyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** The canonical dsse v0.0.1 body Rekor stores for a proposed dsse entry. */
export function canonicalDsseBody(proposed: {
  spec: { proposedContent: { envelope: string; verifiers: string[] } };
}): object {
  const envelopeText = proposed.spec.proposedContent.envelope;
  const envelope = JSON.parse(envelopeText) as { payload: string; signatures: Array<{ sig: string }> };
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(envelopeText) },
      payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(envelope.payload, 'base64')) },
      signatures: envelope.signatures.map((s, i) => ({
        signature: s.sig,
        verifier: proposed.spec.proposedContent.verifiers[i] ?? proposed.spec.proposedContent.verifiers[0],
      })),
    },
  };
}

/**
 * The canonical intoto body Rekor stores for a proposed intoto entry, without the payload: v0.0.1
 * (what cosign 2.x `--rekor-entry-type intoto` proposes: the envelope as a string and the
 * certificate) keeps the public key, the envelope hash and the payload hash; v0.0.2 (sigstore-js)
 * keeps the envelope's type and signatures, the client's envelope hash and the payload hash
 * (its payload arrives base64 twice, as Rekor's models encode it).
 */
// biome-ignore lint/suspicious/noExplicitAny: Rekor's proposed entry JSON
export function canonicalIntotoBody(proposed: any): object {
  const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const content = proposed.spec.content;
  if (proposed.apiVersion === '0.0.1') {
    const envelope = JSON.parse(content.envelope) as { payload: string };
    return {
      apiVersion: '0.0.1',
      kind: 'intoto',
      spec: {
        content: {
          hash: content.hash ?? { algorithm: 'sha256', value: sha(content.envelope) },
          payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(envelope.payload, 'base64')) },
        },
        publicKey: proposed.spec.publicKey,
      },
    };
  }
  const payload = Buffer.from(Buffer.from(content.envelope.payload, 'base64').toString('utf8'), 'base64');
  return {
    apiVersion: proposed.apiVersion,
    kind: 'intoto',
    spec: {
      content: {
        envelope: { payloadType: content.envelope.payloadType, signatures: content.envelope.signatures },
        hash: content.hash,
        payloadHash: { algorithm: 'sha256', value: sha(payload) },
      },
    },
  };
}

export interface SigstoreFakeOptions {
  oidc: OidcFake;
  /** a clock for the CA (for expired certificates); default: the shared fixed clock */
  caClock?: Date;
}

export async function startSigstoreFake(options: SigstoreFakeOptions): Promise<SigstoreFake> {
  const now = Date.now();
  // a whole second, ahead of the TSA's certificates (see above)
  const clock = new Date(Math.floor(now / 1000) * 1000 + 3000);
  const requests: SigstoreFake['requests'] = [];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const ctKeys = newKeyPair();
  const caKeys = newKeyPair();
  const tlogKeys = newKeyPair();
  const tsaKeys = newKeyPair();
  const ctlog = await initializeCTLog(ctKeys, clock);
  const ca = await initializeCA(caKeys, ctlog, options.caClock ?? clock);
  const tlog = await initializeTLog(url, tlogKeys, clock);
  const tsa = await initializeTSA(tsaKeys, clock);

  const fulcio = fulcioHandler(ca, { subjectClaim: 'fulcio_san' }).fn;
  const rekor = rekorHandler(tlog).fn;
  const timestamp = tsaHandler(tsa).fn;

  const fulcioFn: HandlerFn = async (body) => {
    const request = JSON.parse(body) as { credentials?: { oidcIdentityToken?: string } };
    const token = request.credentials?.oidcIdentityToken ?? '';
    const claims = options.oidc.verify(token, 'sigstore');
    if (!claims) return { statusCode: 401, response: 'the identity token was not issued for audience sigstore' };
    const workflowRef = claims.job_workflow_ref;
    if (typeof workflowRef !== 'string')
      return { statusCode: 400, response: 'the token has no job_workflow_ref claim' };
    const payload = Buffer.from(JSON.stringify({ ...claims, fulcio_san: `https://github.com/${workflowRef}` }));
    const rewritten = `e30.${payload.toString('base64url')}.`;
    return fulcio(JSON.stringify({ ...request, credentials: { oidcIdentityToken: rewritten } }));
  };
  const rekorFn: HandlerFn = async (body) => {
    const proposed = JSON.parse(body);
    const canonical =
      proposed.kind === 'dsse'
        ? canonicalDsseBody(proposed)
        : proposed.kind === 'intoto'
          ? canonicalIntotoBody(proposed)
          : proposed;
    return rekor(JSON.stringify(canonical));
  };

  // cosign 2.x speaks Fulcio's v1 API: the token as bearer, the DER public key and the signed
  // subject as `signedEmailAddress`; the answer is the PEM chain (201). Bridged to the v2 handler.
  const fulcioV1: Route = async (body, headers) => {
    const request = JSON.parse(body) as { publicKey?: { content?: string }; signedEmailAddress?: string };
    // the key as PEM or as DER, base64 either way
    const raw = Buffer.from(request.publicKey?.content ?? '', 'base64');
    const key = raw.toString('utf8').startsWith('-----BEGIN')
      ? createPublicKey(raw.toString('utf8'))
      : createPublicKey({ key: raw, format: 'der', type: 'spki' });
    const v2 = await fulcioFn(
      JSON.stringify({
        credentials: { oidcIdentityToken: (headers.authorization ?? '').replace(/^Bearer /, '') },
        publicKeyRequest: {
          publicKey: {
            algorithm: 'ECDSA',
            content: key.export({ format: 'pem', type: 'spki' }),
          },
          proofOfPossession: request.signedEmailAddress ?? '',
        },
      }),
    );
    if (v2.statusCode !== 200 && v2.statusCode !== 201) return v2;
    const answer = JSON.parse(String(v2.response)) as {
      signedCertificateEmbeddedSct: { chain: { certificates: string[] } };
    };
    const chain = answer.signedCertificateEmbeddedSct.chain.certificates.map((c) => (c.endsWith('\n') ? c : `${c}\n`));
    return { statusCode: 201, response: chain.join(''), contentType: 'application/pem-certificate-chain' };
  };

  const routes: Record<string, Route> = {
    '/api/v2/signingCert': fulcioFn,
    '/api/v1/signingCert': fulcioV1,
    '/api/v1/log/entries': rekorFn,
    '/api/v1/timestamp': timestamp,
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url ?? '/', url).pathname;
      const fn = req.method === 'POST' ? routes[path] : undefined;
      let status = 404;
      let body: string | Buffer = 'not found';
      let type = 'text/plain';
      if (fn) {
        let r: Awaited<ReturnType<Route>>;
        try {
          r = await fn(Buffer.concat(chunks).toString('utf8'), req.headers);
        } catch (err) {
          r = { statusCode: 500, response: (err as Error).message };
        }
        status = r.statusCode;
        body = typeof r.response === 'string' ? r.response : Buffer.from(r.response as Uint8Array);
        type = r.contentType ?? 'text/plain';
      }
      requests.push({ path, status });
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    });
  });

  const start = new Date(clock.getTime() - 7 * 24 * 3600 * 1000).toISOString();
  const spki = (k: ReturnType<typeof newKeyPair>) => b64(k.publicKey.export({ format: 'der', type: 'spki' }));
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki(tlogKeys), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: {
          keyId: b64(
            createHash('sha256')
              .update(tlogKeys.publicKey.export({ format: 'der', type: 'spki' }))
              .digest(),
          ),
        },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: url,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: url,
        certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
        validFor: { start },
      },
    ],
  };

  return {
    url,
    fulcioUrl: url,
    rekorUrl: url,
    tsaUrl: url,
    trustedRoot,
    clock,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
