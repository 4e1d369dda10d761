// Keyless end to end, the bundles run as the runner runs them: sbom-sign signs with a Fulcio
// certificate for the job's OIDC identity (the fake Actions OIDC endpoint) from a private
// Sigstore instance on 127.0.0.1 (@sigstore/mock's Fulcio, Rekor and TSA), stores bundles as
// referrers (the stack's distribution 2.8 has no referrers API: the referrers tag schema, which
// `oras discover` reads), and promote's gate verifies them against the trusted root for the
// identity and issuer, refusing each wrong identity, issuer or subject with its reason.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import { artifactFiles, startResultsFake } from '../../fakes/actions-results.js';
import { type SigstoreFake, startSigstoreFake } from '../../fakes/sigstore.js';
import { createBundleVerifier } from '#shared/sigstore/verify-bundle.js';
import { runAction } from '../../harness/run-action.js';
import { haveOras, oras } from '../../harness/sigstore-tools.js';
import { listTags, OCI_INDEX, pushImage, putManifest } from '../promote/fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const sboms = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const WORKFLOW_REF = 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main';
const IDENTITY = `https://github.com/${WORKFLOW_REF}`;
const ISSUER = 'https://token.actions.githubusercontent.com';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
let seq = 0;
const uniq = (name: string) => `keyless-${process.pid}-${++seq}/${name}`;
const work = mkdtempSync(join(tmpdir(), 'keyless-'));
const itOras = haveOras ? it : it.skip;

let oidc: OidcFake;
let sigstore: SigstoreFake;
let trustedRoot: string;

beforeAll(async () => {
  oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_REF });
  sigstore = await startSigstoreFake({ oidc });
  trustedRoot = join(work, 'trusted_root.json');
  writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRoot));
});
afterAll(async () => {
  await sigstore?.close();
  await oidc?.close();
});

function visible(r: { everything: string }): string {
  return r.everything
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

function sbomSign(inputs: Record<string, string>) {
  return runAction('sbom-sign', {
    inputs: { 'fulcio-url': sigstore.fulcioUrl, 'rekor-url': sigstore.rekorUrl, 'tsa-url': sigstore.tsaUrl, ...inputs },
    env: { ...oidc.env, GITHUB_WORKFLOW_REF: WORKFLOW_REF },
    timeoutMs: 90_000,
  });
}

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

describe('keyless: sbom-sign writes bundle referrers, promote verifies them', () => {
  let repo: string;
  let digest: string;
  let signed: Awaited<ReturnType<typeof sbomSign>>;

  beforeAll(async () => {
    repo = uniq('app');
    digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
    signed = await sbomSign({
      image: `${anon.host}/${repo}:rc`,
      sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
      format: 'bundle',
    });
  });

  it('signs keylessly for the workflow identity, with a log index, and never shows the token', () => {
    expect(signed.errors).toEqual([]);
    expect(signed.code).toBe(0);
    expect(signed.outputs.digest).toBe(digest);
    expect(signed.outputs['certificate-identity']).toBe(IDENTITY);
    expect(signed.outputs['rekor-log-index']).toMatch(/^\d+$/);
    // bundles asked for on a registry without the referrers API: listed through the tag schema
    expect(signed.stdout).toContain('Signature format bundle: format: bundle');
    expect(signed.outputs.signature).toMatch(new RegExp(`^${anon.host}/${repo}@sha256:[0-9a-f]{64}$`));
    const attestations = JSON.parse(signed.outputs.attestations as string);
    expect(attestations.map((a: { predicateType: string }) => a.predicateType)).toEqual([
      'https://spdx.dev/Document',
      'https://slsa.dev/provenance/v1',
    ]);
    // one token, masked the moment it arrived, and in no log line, output or summary
    expect(oidc.issued.length).toBeGreaterThanOrEqual(1);
    for (const token of oidc.issued) {
      expect(signed.masks).toContain(token);
      expect(visible(signed)).not.toContain(token);
    }
    expect(signed.summary).toContain(
      `cosign verify --certificate-identity '${IDENTITY}' --certificate-oidc-issuer '${ISSUER}' '${anon.host}/${repo}@${digest}'`,
    );
  });

  it('upload-artifact: the bundles in the artifact verify for the identity against the trusted root', async () => {
    // an image of its own: the referrers of the shared one are counted below
    const own = uniq('artifact');
    const ownDigest = (await pushImage(anon.url, own, { tag: 'rc' })).manifest.digest;
    const results = await startResultsFake();
    try {
      const r = await runAction('sbom-sign', {
        inputs: {
          'fulcio-url': sigstore.fulcioUrl,
          'rekor-url': sigstore.rekorUrl,
          'tsa-url': sigstore.tsaUrl,
          image: `${anon.host}/${own}@${ownDigest}`,
          sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
          attest: 'sbom',
          'upload-artifact': 'true',
          format: 'bundle',
        },
        env: {
          ...oidc.env,
          GITHUB_WORKFLOW_REF: WORKFLOW_REF,
          ACTIONS_RUNTIME_TOKEN: results.token,
          ACTIONS_RESULTS_URL: results.url,
        },
        timeoutMs: 90_000,
      });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      const stored = results.artifacts.find((a) => a.name === 'sbom-sign');
      expect(stored).toBeDefined();
      const files = artifactFiles(stored!.bytes);
      expect(Object.keys(files).sort()).toEqual([
        'attestation-1-spdx.sigstore.json',
        'signature.sigstore.json',
        'syft-spdx-2.3-alpine.json',
      ]);
      const verifier = await createBundleVerifier(sigstore.trustedRoot, { identity: IDENTITY, issuer: ISSUER });
      for (const [name, predicateType] of [
        ['signature.sigstore.json', 'https://sigstore.dev/cosign/sign/v1'],
        ['attestation-1-spdx.sigstore.json', 'https://spdx.dev/Document'],
      ] as const) {
        const verified = verifier.verify(JSON.parse(files[name] as string));
        expect(verified.identity).toBe(IDENTITY);
        const statement = JSON.parse(verified.payload.toString('utf8'));
        expect(statement.predicateType).toBe(predicateType);
        expect(statement.subject[0].digest.sha256).toBe(ownDigest.slice('sha256:'.length));
      }
      // the same bundles do not verify for another identity
      const other = await createBundleVerifier(sigstore.trustedRoot, {
        identity: 'https://github.com/evil/x',
        issuer: ISSUER,
      });
      expect(() => other.verify(JSON.parse(files['signature.sigstore.json'] as string))).toThrow();
    } finally {
      await results.close();
    }
  });

  itOras('oras discover lists the three bundles as referrers of the digest', async () => {
    const r = await oras(['discover', '--plain-http', '--format', 'json', `${anon.host}/${repo}@${digest}`]);
    expect(r.code, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout).manifests as Array<{
      digest: string;
      artifactType: string;
      annotations?: Record<string, string>;
    }>;
    expect(found.map((m) => m.artifactType)).toEqual([BUNDLE_TYPE, BUNDLE_TYPE, BUNDLE_TYPE]);
    expect(found.map((m) => m.annotations?.['dev.sigstore.bundle.predicateType']).sort()).toEqual([
      'https://sigstore.dev/cosign/sign/v1',
      'https://slsa.dev/provenance/v1',
      'https://spdx.dev/Document',
    ]);
    expect(found.map((m) => `${anon.host}/${repo}@${m.digest}`)).toContain(signed.outputs.signature);
  });

  it('promote passes for the identity and issuer, with the attestations required', async () => {
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'staging',
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer': ISSUER,
      'trusted-root': trustedRoot,
      'require-attestations': 'spdx,slsa-provenance',
    });
    expect(r.errors).toEqual([]);
    expect(r.stdout).toContain(
      `Gate require-signature: passed: Sigstore bundle referrer ${signed.outputs.signature?.split('@')[1]}`,
    );
    expect(r.stdout).toContain(
      `Gate require-attestations: passed: https://spdx.dev/Document, https://slsa.dev/provenance/v1 attested for ${digest} in bundle referrers (verified for the certificate identity)`,
    );
    expect(await listTags(anon.url, repo)).toContain('staging');
  });

  it('the bundles follow the image to another repository, where the gate passes again', async () => {
    const target = uniq('prod');
    const keyless = {
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer': ISSUER,
      'trusted-root': trustedRoot,
      'require-attestations': 'spdx',
    };
    const first = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: `${anon.host}/${target}:1.0.0`,
      ...keyless,
    });
    expect(first.errors).toEqual([]);
    const again = await promote({ source: `${anon.host}/${target}:1.0.0`, targets: 'verified-copy', ...keyless });
    expect(again.errors).toEqual([]);
    expect(await listTags(anon.url, target)).toEqual(
      expect.arrayContaining(['1.0.0', 'verified-copy', digest.replace(':', '-')]),
    );
  });

  it('promote passes for an identity regexp and refuses one that does not match', async () => {
    const ok = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'regexp-ok',
      'certificate-identity-regexp':
        '^https://github\\.com/octo-org/octo-app/\\.github/workflows/release\\.yml@refs/heads/',
      'certificate-oidc-issuer': ISSUER,
      'trusted-root': trustedRoot,
    });
    expect(ok.errors).toEqual([]);
    const refused = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'regexp-no',
      'certificate-identity-regexp':
        '^https://github\\.com/octo-org/octo-app/\\.github/workflows/release\\.yml@refs/tags/v',
      'certificate-oidc-issuer': ISSUER,
      'trusted-root': trustedRoot,
    });
    expect(refused.code).toBe(1);
    expect(refused.errors[0]).toContain(
      `does not match ^https://github\\.com/octo-org/octo-app/\\.github/workflows/release\\.yml@refs/tags/v`,
    );
    expect(await listTags(anon.url, repo)).not.toContain('regexp-no');
  });

  it.each([
    [
      'another identity',
      {
        'certificate-identity': 'https://github.com/octo-org/octo-app/.github/workflows/other.yml@refs/heads/main',
        'certificate-oidc-issuer': ISSUER,
      },
      /its bundle does not verify: .*identity/i,
    ],
    [
      'another issuer',
      { 'certificate-identity': IDENTITY, 'certificate-oidc-issuer': 'https://accounts.google.com' },
      /its bundle does not verify: .*(issuer|extension)/i,
    ],
  ])('promote refuses %s with the reason', async (_name, who, reason) => {
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'refused',
      'trusted-root': trustedRoot,
      ...who,
    });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^Promotion of ${anon.host}/${repo}:rc refused, nothing was written: require-signature: no valid signature for ${digest}: `,
      ),
    );
    expect(r.errors[0]).toMatch(reason);
    expect(await listTags(anon.url, repo)).not.toContain('refused');
  });

  it('promote refuses valid bundles of another image listed under this digest', async () => {
    // the signed image's referrers index, copied under another image's digest in the same repository
    const index = await fetch(`${anon.url}/v2/${repo}/manifests/${digest.replace(':', '-')}`, {
      headers: { accept: OCI_INDEX },
    });
    const json = (await index.json()) as object;
    const twin = (await pushImage(anon.url, repo, { tag: 'twin' })).manifest;
    await putManifest(anon.url, repo, twin.digest.replace(':', '-'), json, OCI_INDEX);
    const r = await promote({
      source: `${anon.host}/${repo}:twin`,
      targets: 'twin-prod',
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer': ISSUER,
      'trusted-root': trustedRoot,
    });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toContain(`its subject is ${digest}, not ${twin.digest}`);
  });

  it('refuses keyless identity inputs it cannot use', async () => {
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'x',
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer': ISSUER,
      'tuf-mirror': sigstore.url,
    });
    expect(r.errors).toEqual([
      `Input 'tuf-root': is required with tuf-mirror ${sigstore.url} (the initial root.json of that TUF repository; only the public-good root is built in)`,
    ]);
    const s = await sbomSign({
      image: `${anon.host}/${repo}:rc`,
      sbom: 'none',
      attest: 'none',
      tlog: 'false',
      'tsa-url': '',
    });
    expect(s.errors).toEqual([
      "Input 'tsa-url': is required for keyless signing with tlog: false (a signature needs a trusted time)",
    ]);
  });
});
