// Keyless signing and bundle verification against a private Sigstore instance on 127.0.0.1
// (@sigstore/mock's Fulcio, Rekor and TSA behind a local server) and the fake Actions OIDC
// endpoint: a bundle signed for the job's workflow identity verifies against the trusted root
// assembled from the same keys; a wrong identity, issuer or regexp, a certificate used outside
// its validity without a timestamp, and another trusted root are refused with their reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageStatement } from '#shared/sigstore/in-toto.js';
import { actionsIdToken, certificateIdentity, createKeylessSigner } from '#shared/sigstore/keyless.js';
import { createBundleVerifier } from '#shared/sigstore/verify-bundle.js';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import { type SigstoreFake, startSigstoreFake } from '../../fakes/sigstore.js';

const WORKFLOW_REF = 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main';
const IDENTITY = `https://github.com/${WORKFLOW_REF}`;
const ISSUER = 'https://token.actions.githubusercontent.com';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const statement = imageStatement('127.0.0.1:5000/app', DIGEST, 'https://sigstore.dev/cosign/sign/v1', {});

let oidc: OidcFake;
let sigstore: SigstoreFake;
const masked: string[] = [];
const token = () => actionsIdToken(oidc.env, 'sigstore', (s) => masked.push(s));

beforeAll(async () => {
  oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_REF });
  sigstore = await startSigstoreFake({ oidc });
});
afterAll(async () => {
  await sigstore?.close();
  await oidc?.close();
});

describe('keyless signing against a private Sigstore instance', () => {
  it('signs with Rekor and a TSA; the bundle verifies for the workflow identity and issuer', async () => {
    const signer = await createKeylessSigner({
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: sigstore.rekorUrl,
      tsaUrl: sigstore.tsaUrl,
      getToken: token,
    });
    const signed = await signer.sign(statement);
    expect(await certificateIdentity(signed.certificatePem)).toBe(IDENTITY);
    expect(signed.logIndex).toMatch(/^\d+$/);
    expect((signed.bundle as { mediaType: string }).mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(masked).toEqual([oidc.issued.at(-1)]);
    expect(sigstore.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/api/v2/signingCert 201',
      '/api/v1/log/entries 201',
      '/api/v1/timestamp 201',
    ]);

    const ok = (await createBundleVerifier(sigstore.trustedRoot, { identity: IDENTITY, issuer: ISSUER })).verify(
      signed.bundle,
    );
    expect(ok.identity).toBe(IDENTITY);
    expect(ok.issuer).toBe(ISSUER);
    expect(JSON.parse(ok.payload.toString('utf8'))).toEqual(statement);
    const byRegexp = await createBundleVerifier(sigstore.trustedRoot, {
      identityRegexp:
        /^https:\/\/github\.com\/octo-org\/octo-app\/\.github\/workflows\/release\.yml@refs\/(heads|tags)\//,
      issuer: ISSUER,
    });
    expect(byRegexp.verify(signed.bundle).identity).toBe(IDENTITY);

    const refusals: Array<[object, RegExp]> = [
      [
        {
          identity: 'https://github.com/octo-org/octo-app/.github/workflows/other.yml@refs/heads/main',
          issuer: ISSUER,
        },
        /identity/i,
      ],
      [{ identity: IDENTITY, issuer: 'https://accounts.google.com' }, /issuer|extension/i],
      [{ identityRegexp: /^https:\/\/github\.com\/someone-else\//, issuer: ISSUER }, /does not match/],
    ];
    for (const [policy, why] of refusals) {
      const verifier = await createBundleVerifier(sigstore.trustedRoot, policy);
      expect(() => verifier.verify(signed.bundle)).toThrow(why);
    }
  });

  it('signs with a TSA only (tlog off) and still verifies', async () => {
    const signer = await createKeylessSigner({
      fulcioUrl: sigstore.fulcioUrl,
      rekorUrl: undefined,
      tsaUrl: sigstore.tsaUrl,
      getToken: token,
    });
    const signed = await signer.sign(statement);
    expect(signed.logIndex).toBeUndefined();
    const verifier = await createBundleVerifier(sigstore.trustedRoot, { identity: IDENTITY, issuer: ISSUER });
    expect(verifier.verify(signed.bundle).identity).toBe(IDENTITY);
  });

  it('refuses a bundle verified against another trusted root', async () => {
    const other = await startSigstoreFake({ oidc });
    try {
      const signer = await createKeylessSigner({
        fulcioUrl: other.fulcioUrl,
        rekorUrl: other.rekorUrl,
        tsaUrl: undefined,
        getToken: token,
      });
      const signed = await signer.sign(statement);
      const verifier = await createBundleVerifier(sigstore.trustedRoot, { identity: IDENTITY, issuer: ISSUER });
      expect(() => verifier.verify(signed.bundle)).toThrow();
    } finally {
      await other.close();
    }
  });

  it('refuses an expired certificate whose signature has no timestamp inside its validity', async () => {
    // the CA issued the certificate a day before the log and the TSA saw the signature
    const expired = await startSigstoreFake({
      oidc,
      caClock: new Date(Math.floor(Date.now() / 1000) * 1000 - 24 * 3600 * 1000),
    });
    try {
      const signer = await createKeylessSigner({
        fulcioUrl: expired.fulcioUrl,
        rekorUrl: undefined,
        tsaUrl: expired.tsaUrl,
        getToken: token,
      });
      const signed = await signer.sign(statement);
      const verifier = await createBundleVerifier(expired.trustedRoot, { identity: IDENTITY, issuer: ISSUER });
      expect(() => verifier.verify(signed.bundle)).toThrow('Failed to verify certificate chain');
    } finally {
      await expired.close();
    }
  });

  it('explains a job without id-token: write', async () => {
    await expect(actionsIdToken({}, 'sigstore', () => {})).rejects.toThrow(
      "getting the OIDC token for keyless signing: ACTIONS_ID_TOKEN_REQUEST_URL is not set: the job needs 'permissions: id-token: write'",
    );
  });
});
