// Each bundle goes to the verifier of the material it carries: a key-signed bundle to public-key,
// a certificate bundle to the keyless policy; one that no given input can verify is refused
// with the input that is missing.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { imageStatement } from '#shared/sigstore/in-toto.js';
import { createKeyBundleSigner } from '#shared/sigstore/key-bundle.js';
import { bundleVerifierFor } from '../../../actions/promote/src/bundle-verifiers.js';

const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};
const keyless = {
  policy: {
    identity: 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
  },
  trustedRoot: async () => EMPTY_ROOT,
};
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const statement = imageStatement(
  'registry.example/app',
  `sha256:${'e'.repeat(64)}`,
  'https://sigstore.dev/cosign/sign/v1',
  {},
);

async function keyBundle() {
  return (await (await createKeyBundleSigner({ ...pair, rekorUrl: undefined })).sign(statement)).bundle;
}

describe('bundleVerifierFor', () => {
  it('is undefined without public-key or an identity', () => {
    expect(bundleVerifierFor({})).toBeUndefined();
  });

  it('verifies a key-signed bundle with public-key, also beside a keyless policy', async () => {
    const bundle = await keyBundle();
    for (const inputs of [{ publicKey: pair.publicKey }, { publicKey: pair.publicKey, keyless }]) {
      const verified = (await bundleVerifierFor(inputs)!()).verify(bundle);
      expect(verified.identity).toMatch(/^public-key SHA256:[0-9a-f]{64}$/);
    }
  });

  it('refuses a key-signed bundle when only an identity was given', async () => {
    const verifier = await bundleVerifierFor({ keyless })!();
    const bundle = await keyBundle();
    expect(() => verifier.verify(bundle)).toThrow('it is signed with a key, and no public-key was given');
  });

  it('refuses a certificate bundle when only public-key was given', async () => {
    const bundle = JSON.parse(JSON.stringify(await keyBundle()));
    bundle.verificationMaterial = { certificate: { rawBytes: Buffer.from('x').toString('base64') }, tlogEntries: [] };
    const verifier = await bundleVerifierFor({ publicKey: pair.publicKey })!();
    expect(() => verifier.verify(bundle)).toThrow(
      'it is signed keyless (a certificate), and no certificate-identity was given',
    );
  });
});
