// The conversion between cosign 2.x keyless layer annotations and Sigstore bundles: the Rekor
// "bundle" annotation as Go marshals it, back into a tlog entry, and every reason a layer cannot
// become a bundle.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { initializeCA } from '@sigstore/mock';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_V01_MEDIA_TYPE,
  layerToBundle,
  pemCertificates,
  rekorBundleAnnotation,
  rfc3161Annotation,
  tlogEntryFromAnnotation,
  toPem,
} from '#shared/sigstore/cosign-keyless.js';

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const DSSE = 'application/vnd.dsse.envelope.v1+json';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

let leaf: Buffer;
let other: Buffer;
let root: Buffer;

beforeAll(async () => {
  const ca = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  const issue = async () =>
    Buffer.from(
      (await ca.issueCertificate({
        publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' }),
        subjectAltName: 'https://github.com/octo-org/octo-app/.github/workflows/release.yml@refs/heads/main',
      })) as Uint8Array,
    );
  leaf = await issue();
  other = await issue();
  root = Buffer.from(ca.rootCertificate as Uint8Array);
});

const entry = {
  logIndex: '42',
  logId: { keyId: Buffer.from('c0ffee', 'hex').toString('base64') },
  kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
  integratedTime: '1700000000',
  inclusionPromise: { signedEntryTimestamp: b64('set') },
  canonicalizedBody: b64('{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}'),
};

function hashedrekordBody(certificate: Buffer): string {
  return b64(
    JSON.stringify({
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { signature: { content: 'sig', publicKey: { content: b64(toPem(certificate)) } } },
    }),
  );
}

function rekor(body: string): string {
  return JSON.stringify({
    SignedEntryTimestamp: b64('set'),
    Payload: { body, integratedTime: 1700000000, logIndex: 42, logID: 'c0ffee' },
  });
}

describe('Rekor bundle annotation', () => {
  it('is what cosign marshals: SET, then body, integratedTime, logIndex, logID (hex)', () => {
    expect(rekorBundleAnnotation(entry)).toBe(
      `{"SignedEntryTimestamp":"${b64('set')}","Payload":{"body":"${entry.canonicalizedBody}","integratedTime":1700000000,"logIndex":42,"logID":"c0ffee"}}`,
    );
    expect(rfc3161Annotation('AAEC')).toBe('{"SignedRFC3161Timestamp":"AAEC"}');
  });

  it('reads back into the tlog entry it came from, kind and version from the body', () => {
    expect(tlogEntryFromAnnotation(rekorBundleAnnotation(entry))).toEqual({ entry });
  });

  it.each([
    ['not JSON', 'nope', 'its Rekor bundle is not JSON'],
    [
      'a field missing',
      JSON.stringify({ SignedEntryTimestamp: 'AA==', Payload: { body: 'AA==', integratedTime: 1, logIndex: 1 } }),
      'its Rekor bundle lacks a field (SignedEntryTimestamp, body, integratedTime, logIndex, logID)',
    ],
    [
      'a body without kind',
      JSON.stringify({
        SignedEntryTimestamp: 'AA==',
        Payload: { body: b64('{}'), integratedTime: 1, logIndex: 1, logID: 'ab' },
      }),
      'its Rekor entry body names no kind and version',
    ],
  ])('refuses %s', (_name, text, reason) => {
    expect(tlogEntryFromAnnotation(text)).toEqual({ reason });
  });
});

describe('layerToBundle', () => {
  const payload = Buffer.from('{"critical":{}}');
  const annotations = () => ({
    'dev.cosignproject.cosign/signature': b64('sig'),
    'dev.sigstore.cosign/certificate': toPem(leaf),
    'dev.sigstore.cosign/chain': toPem(root),
    'dev.sigstore.cosign/bundle': rekor(hashedrekordBody(leaf)),
    'dev.sigstore.cosign/rfc3161timestamp': rfc3161Annotation('AAEC'),
  });

  it('makes a v0.1 message-signature bundle: leaf and chain, the SET as inclusion promise, the timestamp', () => {
    const converted = layerToBundle({ mediaType: SIMPLE_SIGNING, payload, annotations: annotations() });
    expect(converted).toEqual({
      bundle: {
        mediaType: BUNDLE_V01_MEDIA_TYPE,
        verificationMaterial: {
          x509CertificateChain: {
            certificates: [{ rawBytes: leaf.toString('base64') }, { rawBytes: root.toString('base64') }],
          },
          tlogEntries: [
            {
              logIndex: '42',
              logId: { keyId: Buffer.from('c0ffee', 'hex').toString('base64') },
              kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
              integratedTime: '1700000000',
              inclusionPromise: { signedEntryTimestamp: b64('set') },
              canonicalizedBody: hashedrekordBody(leaf),
            },
          ],
          timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: 'AAEC' }] },
        },
        messageSignature: {
          messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
          signature: b64('sig'),
        },
      },
      artifact: payload,
    });
  });

  it('makes a DSSE bundle of an attestation layer, timestamped over the whole envelope as cosign 2.x does', () => {
    const envelope = Buffer.from(
      JSON.stringify({
        payloadType: 'application/vnd.in-toto+json',
        payload: b64('{}'),
        signatures: [{ keyid: '', sig: b64('s') }],
      }),
    );
    const converted = layerToBundle({
      mediaType: DSSE,
      payload: envelope,
      annotations: { ...annotations(), 'dev.cosignproject.cosign/signature': '', predicateType: 'x' },
    });
    expect('bundle' in converted && converted.bundle).toMatchObject({
      dsseEnvelope: {
        payload: b64('{}'),
        payloadType: 'application/vnd.in-toto+json',
        signatures: [{ sig: b64('s'), keyid: '' }],
      },
    });
    expect('timestamped' in converted && converted.timestamped).toEqual(envelope);
  });

  const without = (...keys: string[]) => {
    const a: Record<string, string> = annotations();
    for (const k of keys) delete a[k];
    return a;
  };

  it.each([
    [
      'no certificate',
      SIMPLE_SIGNING,
      () => without('dev.sigstore.cosign/certificate'),
      'it carries no certificate (not a keyless signature)',
    ],
    [
      'no Rekor entry and no timestamp',
      SIMPLE_SIGNING,
      () => without('dev.sigstore.cosign/bundle', 'dev.sigstore.cosign/rfc3161timestamp'),
      'it carries neither a Rekor entry nor an RFC 3161 timestamp (no trusted signing time)',
    ],
    [
      'a log entry of another certificate',
      SIMPLE_SIGNING,
      () => ({ ...annotations(), 'dev.sigstore.cosign/bundle': rekor(hashedrekordBody(other)) }),
      'its Rekor entry records another certificate',
    ],
    [
      'a log entry that records no certificate',
      SIMPLE_SIGNING,
      () => ({
        ...annotations(),
        'dev.sigstore.cosign/bundle': rekor(b64('{"apiVersion":"0.0.1","kind":"rekord","spec":{}}')),
      }),
      'its Rekor entry records no certificate',
    ],
    [
      'a timestamp annotation that is not cosign JSON',
      SIMPLE_SIGNING,
      () => ({ ...annotations(), 'dev.sigstore.cosign/rfc3161timestamp': '{"Timestamp":"AA=="}' }),
      'its RFC 3161 timestamp annotation is not cosign JSON',
    ],
    [
      'no signature',
      SIMPLE_SIGNING,
      () => without('dev.cosignproject.cosign/signature'),
      'it carries no signature annotation',
    ],
    ['an envelope that is not DSSE', DSSE, annotations, 'it is not a DSSE envelope'],
    [
      'another media type',
      'application/json',
      annotations,
      "its media type application/json is not a cosign signature's",
    ],
  ])('refuses a layer with %s', (_name, mediaType, make, reason) => {
    expect(layerToBundle({ mediaType, payload, annotations: make() })).toEqual({ reason });
  });

  it('reads every certificate of a PEM chain', () => {
    expect(pemCertificates(toPem(leaf) + toPem(root))).toEqual([leaf, root]);
    expect(
      toPem(root)
        .split('\n')
        .every((l) => l.length <= 64),
    ).toBe(true);
  });
});
