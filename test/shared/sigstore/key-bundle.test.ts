// Key-signed bundles without a registry: the hint is cosign's (base64 SHA-256 of the SPKI, checked
// against a value computed here independently), each supported key type signs a bundle that the
// key verifier accepts, and the verifier refuses another key, a changed payload and a certificate
// bundle with their reasons; signsPayload (sbom-sign's "already signed") holds to every condition.
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { imageStatement } from '#shared/sigstore/in-toto.js';
import {
  bundleKeyProblem,
  createKeyBundleSigner,
  createKeyBundleVerifier,
  publicKeyHint,
  signsPayload,
} from '#shared/sigstore/key-bundle.js';

const digest = `sha256:${'c'.repeat(64)}`;
const statement = imageStatement('registry.example/app', digest, 'https://sigstore.dev/cosign/sign/v1', {});
const payload = Buffer.from(JSON.stringify(statement));

const pairs: Array<[string, { privateKey: KeyObject; publicKey: KeyObject }]> = [
  ['ECDSA P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ['Ed25519', generateKeyPairSync('ed25519')],
  ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })],
];

describe('key-signed bundles', () => {
  it('the hint is base64 of the SHA-256 of the DER SubjectPublicKeyInfo', () => {
    const { publicKey } = pairs[0]![1];
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    expect(publicKeyHint(publicKey)).toBe(createHash('sha256').update(der).digest('base64'));
  });

  it('refuses curves whose signatures Sigstore verifiers do not check', () => {
    expect(bundleKeyProblem(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)).toMatch(/secp384r1/);
    for (const [, pair] of pairs) expect(bundleKeyProblem(pair.publicKey)).toBeUndefined();
  });

  it.each(pairs)('%s: signs a bundle the key verifier accepts, and refuses it for another key', async (_name, pair) => {
    const signer = await createKeyBundleSigner({ ...pair, rekorUrl: undefined });
    const { bundle } = await signer.sign(statement);
    // biome-ignore lint/suspicious/noExplicitAny: bundle JSON
    const json = bundle as any;
    expect(json.verificationMaterial.publicKey.hint).toBe(publicKeyHint(pair.publicKey));
    expect(json.dsseEnvelope.signatures[0].keyid ?? '').toBe('');
    const verified = (await createKeyBundleVerifier(pair.publicKey, undefined)).verify(bundle);
    expect(verified.payload.equals(payload)).toBe(true);
    expect(verified.signer).toMatch(/^public-key SHA256:[0-9a-f]{64}, no transparency log entry$/);
    expect(signsPayload(bundle, payload, pair.publicKey, false)).toBe(true);

    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const otherVerifier = await createKeyBundleVerifier(other, undefined);
    expect(() => otherVerifier.verify(bundle)).toThrow(
      `it names another key (hint ${publicKeyHint(pair.publicKey)}, public-key is ${publicKeyHint(other)}) and does not verify with public-key`,
    );
    expect(signsPayload(bundle, payload, other, false)).toBe(false);
  });

  it('refuses a changed payload, and a certificate bundle', async () => {
    const pair = pairs[0]![1];
    const signer = await createKeyBundleSigner({ ...pair, rekorUrl: undefined });
    const { bundle } = await signer.sign(statement);
    const changed = Buffer.from(JSON.stringify({ ...statement, predicate: { x: 1 } }));
    const tampered = JSON.parse(JSON.stringify(bundle));
    tampered.dsseEnvelope.payload = changed.toString('base64');
    const verifier = await createKeyBundleVerifier(pair.publicKey, undefined);
    expect(() => verifier.verify(tampered)).toThrow(
      'its signature does not verify with public-key (wrong key, or the envelope was changed)',
    );
    expect(signsPayload(tampered, changed, pair.publicKey, false)).toBe(false);
    const certified = JSON.parse(JSON.stringify(bundle));
    certified.verificationMaterial = {
      certificate: { rawBytes: Buffer.from('x').toString('base64') },
      tlogEntries: [],
    };
    expect(() => verifier.verify(certified)).toThrow('it is signed with a certificate, not with a key');
  });

  it('signsPayload: another statement, or no log entry when one is needed, is not "already signed"', async () => {
    const pair = pairs[0]![1];
    const { bundle } = await (await createKeyBundleSigner({ ...pair, rekorUrl: undefined })).sign(statement);
    const another = Buffer.from(
      JSON.stringify(
        imageStatement('registry.example/app', `sha256:${'d'.repeat(64)}`, 'https://sigstore.dev/cosign/sign/v1', {}),
      ),
    );
    expect(signsPayload(bundle, another, pair.publicKey, false)).toBe(false);
    expect(signsPayload(bundle, payload, pair.publicKey, true)).toBe(false);
    expect(signsPayload({}, payload, pair.publicKey, false)).toBe(false);
  });
});
