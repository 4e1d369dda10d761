// Key-signed Sigstore bundles end to end, the bundles run as the runner runs them: sbom-sign with
// `sign: key` writes bundle v0.3 referrers as cosign v3 `--key` does (public key hint, DSSE
// envelope of the cosign signature statement and of each attestation), `format: auto` chooses
// bundles where the registry answers the referrers API (the referrers proxy in front of the
// stack's distribution 2.8) and cosign's legacy tags where it does not, a re-run pushes nothing,
// a Rekor entry is made only when asked for, and promote's `public-key` gate verifies the
// bundles and refuses a wrong key, a tampered envelope and another subject, each with its reason.
// `oras discover` (through the referrers API) and cosign 2.5 check what was written.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient } from '#shared/oci/client.js';
import { pushBundleReferrer } from '#shared/sigstore/bundle-referrer.js';
import { imageStatement } from '#shared/sigstore/in-toto.js';
import { createKeyBundleSigner } from '#shared/sigstore/key-bundle.js';
import { loadPrivateKey } from '#shared/sigstore/keys.js';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import { type ReferrersRegistry, startReferrersRegistry } from '../../fakes/referrers-registry.js';
import { type SigstoreFake, startSigstoreFake } from '../../fakes/sigstore.js';
import { runAction } from '../../harness/run-action.js';
import { cosign, haveCosign, haveOras, oras } from '../../harness/sigstore-tools.js';
import { getManifest, listTags, pushFixture, pushImage } from '../promote/fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const fixtures = join(import.meta.dirname, '../../fixtures/sigstore');
const sboms = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const KEY = readFileSync(join(fixtures, 'cosign.key'), 'utf8');
const PUB = join(fixtures, 'cosign.pub');
const PASSWORD = 'correct horse battery';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
const SBOM = join(sboms, 'syft-spdx-2.3-alpine.json');
const WORKFLOW_ENV = {
  GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main',
  GITHUB_REPOSITORY_ID: '123456',
};
let seq = 0;
const uniq = (name: string) => `key-bundle-${process.pid}-${++seq}/${name}`;
const work = mkdtempSync(join(tmpdir(), 'key-bundle-'));
const itCosign = haveCosign ? it : it.skip;
const itOras = haveOras ? it : it.skip;
/** cosign and Go honour HTTPS_PROXY: a dead local port, so nothing can reach the Internet */
const OFFLINE = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' };

let proxy: ReferrersRegistry;
let oidc: OidcFake;
let sigstore: SigstoreFake;
let trustedRoot: string;
const publicKeyDer = () => {
  const pem = readFileSync(PUB, 'utf8');
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
};
const HINT = () => createHash('sha256').update(publicKeyDer()).digest('base64');

beforeAll(async () => {
  proxy = await startReferrersRegistry(anon.url);
  oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_ENV.GITHUB_WORKFLOW_REF });
  sigstore = await startSigstoreFake({ oidc });
  trustedRoot = join(work, 'trusted_root.json');
  writeFileSync(trustedRoot, JSON.stringify(sigstore.trustedRoot));
});
afterAll(async () => {
  await proxy?.close();
  await sigstore?.close();
  await oidc?.close();
});

function sbomSign(inputs: Record<string, string>) {
  return runAction('sbom-sign', {
    inputs: { key: KEY, 'key-password': PASSWORD, sbom: SBOM, ...inputs },
    env: WORKFLOW_ENV,
    timeoutMs: 90_000,
  });
}

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

interface ApiIndex {
  manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }>;
}

async function referrersApi(
  url: string,
  repo: string,
  digest: string,
  query = '',
): Promise<{ status: number; headers: Headers; json: ApiIndex }> {
  const res = await fetch(`${url}/v2/${repo}/referrers/${digest}${query}`);
  return { status: res.status, headers: res.headers, json: (await res.json()) as ApiIndex };
}

async function bundleOf(url: string, repo: string, referrer: string) {
  const m = await getManifest(url, repo, referrer);
  if (!m) throw new Error(`${repo}@${referrer} does not exist`);
  const manifest = JSON.parse(m.bytes.toString('utf8'));
  const res = await fetch(`${url}/v2/${repo}/blobs/${manifest.layers[0].digest}`);
  return { manifest, bundle: JSON.parse(await res.text()) };
}

describe('sbom-sign sign: key, Sigstore bundles', () => {
  describe('format: auto on a registry with the referrers API', () => {
    let repo: string;
    let digest: string;
    let pinned: string;
    let first: Awaited<ReturnType<typeof sbomSign>>;

    beforeAll(async () => {
      repo = uniq('app');
      digest = (await pushImage(proxy.url, repo, { tag: 'v1' })).manifest.digest;
      pinned = `${proxy.host}/${repo}@${digest}`;
      first = await sbomSign({ image: pinned, attest: 'sbom,provenance' });
    }, 120_000);

    it('chooses bundles, says why, and lists them through the API without a fallback tag', async () => {
      expect(first.errors).toEqual([]);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(
        'Signature format bundle: format: auto, and the registry answers the OCI referrers API',
      );
      const listed = await referrersApi(proxy.url, repo, digest);
      expect(listed.status).toBe(200);
      expect(listed.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
      expect(
        listed.json.manifests.map((m) => [m.artifactType, m.annotations?.['dev.sigstore.bundle.predicateType']]),
      ).toEqual([
        [BUNDLE_TYPE, SIGN_PREDICATE],
        [BUNDLE_TYPE, 'https://spdx.dev/Document'],
        [BUNDLE_TYPE, 'https://slsa.dev/provenance/v1'],
      ]);
      expect(first.outputs.signature).toBe(`${proxy.host}/${repo}@${listed.json.manifests[0]?.digest}`);
      expect(JSON.parse(first.outputs.attestations as string).map((a: { status: string }) => a.status)).toEqual([
        'created',
        'created',
      ]);
      expect(first.outputs['rekor-log-index']).toBe('');
      // no referrers tag schema, no cosign tags: the registry keeps only the image tag
      expect(await listTags(anon.url, repo)).toEqual(['v1']);
      expect(first.summary).toContain(`cosign verify --key cosign.pub --insecure-ignore-tlog=true '${pinned}'`);
      expect(first.summary).toContain(
        `cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true --type spdxjson '${pinned}'`,
      );
    });

    it('writes what cosign v3 writes with --key: public key hint, DSSE of the statement, no log entry', async () => {
      const listed = await referrersApi(proxy.url, repo, digest);
      const { manifest, bundle } = await bundleOf(proxy.url, repo, listed.json.manifests[0]!.digest);
      expect(manifest.artifactType).toBe(BUNDLE_TYPE);
      expect(manifest.subject.digest).toBe(digest);
      expect(manifest.annotations).toEqual({
        'dev.sigstore.bundle.content': 'dsse-envelope',
        'dev.sigstore.bundle.predicateType': SIGN_PREDICATE,
      });
      expect(bundle.mediaType).toBe(BUNDLE_TYPE);
      expect(bundle.verificationMaterial.publicKey).toEqual({ hint: HINT() });
      // protojson leaves empty lists out, as cosign's bundles do
      expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
      expect(bundle.verificationMaterial.certificate).toBeUndefined();
      expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
      expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
      // cosign leaves the keyid empty; sigstore-go skips a signature whose keyid is the hint
      expect(bundle.dsseEnvelope.signatures[0].keyid ?? '').toBe('');
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
      expect(statement).toEqual({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: `${proxy.host}/${repo}`, digest: { sha256: digest.slice(7) } }],
        predicateType: SIGN_PREDICATE,
        predicate: {},
      });
    });

    it('a re-run pushes nothing: every statement is already signed with this key', async () => {
      const before = (await referrersApi(proxy.url, repo, digest)).json.manifests.map((m) => m.digest);
      const again = await sbomSign({ image: pinned, attest: 'sbom,provenance' });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(`Signature bundle ${proxy.host}/${repo}@${before[0]} unchanged`);
      expect(JSON.parse(again.outputs.attestations as string).map((a: { status: string }) => a.status)).toEqual([
        'unchanged',
        'unchanged',
      ]);
      expect((await referrersApi(proxy.url, repo, digest)).json.manifests.map((m) => m.digest)).toEqual(before);
    });

    itOras('oras discover lists the bundles through the referrers API', async () => {
      const r = await oras([
        'discover',
        '--plain-http',
        '--distribution-spec',
        'v1.1-referrers-api',
        '--format',
        'json',
        '--artifact-type',
        BUNDLE_TYPE,
        pinned,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const found = JSON.parse(r.stdout).manifests as Array<{
        artifactType: string;
        annotations?: Record<string, string>;
      }>;
      expect(found.map((m) => m.annotations?.['dev.sigstore.bundle.predicateType'])).toEqual([
        SIGN_PREDICATE,
        'https://spdx.dev/Document',
        'https://slsa.dev/provenance/v1',
      ]);
      expect(proxy.referrersRequests.some((line) => line.includes(`/v2/${repo}/referrers/${digest}`))).toBe(true);
    });

    it("promote's public-key gate verifies the signature and the attestations", async () => {
      const r = await promote({
        source: pinned,
        targets: `${proxy.host}/${repo}:verified`,
        'public-key': PUB,
        'require-attestations': 'spdx,slsa-provenance',
        'dry-run': 'true',
      });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.everything).toMatch(
        new RegExp(
          `Sigstore bundle referrer sha256:[0-9a-f]{64}: https://sigstore.dev/cosign/sign/v1 over ${digest} signed by public-key SHA256:[0-9a-f]{64}, no transparency log entry`,
        ),
      );
    });

    it('refuses a wrong key, naming the key the bundle was made with', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const otherPub = join(work, `other-${seq}.pub`);
      writeFileSync(otherPub, other.publicKey.export({ format: 'pem', type: 'spki' }));
      const r = await promote({
        source: pinned,
        targets: `${proxy.host}/${repo}:x`,
        'public-key': otherPub,
        'dry-run': 'true',
      });
      expect(r.code).toBe(1);
      expect(r.errors[0]).toContain(`require-signature: no valid signature for ${digest}: `);
      expect(r.errors[0]).toContain(`its bundle does not verify: it names another key (hint ${HINT()}`);
      expect(r.errors[0]).toContain('and does not verify with public-key');
    });
  });

  // cosign 2.5 reads bundle referrers only in verify-attestation (`verify` answers "bundle support
  // for image signatures is not yet implemented" there); the signature statement is checked as
  // the attestation of predicate type https://sigstore.dev/cosign/sign/v1
  itCosign('cosign 2.5 verify-attestation --new-bundle-format --key accepts the bundles, offline', async () => {
    const repo = uniq('cosign');
    const digest = (await pushImage(proxy.url, repo, { tag: 'v1' })).manifest.digest;
    const pinned = `${proxy.host}/${repo}@${digest}`;
    const signed = await sbomSign({ image: pinned, attest: 'sbom' });
    expect(signed.code, signed.everything).toBe(0);
    const emptyRoot = join(work, 'empty-trusted-root.json');
    writeFileSync(
      emptyRoot,
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [],
      }),
    );
    for (const type of ['spdxjson', SIGN_PREDICATE]) {
      const r = await cosign(
        ['verify-attestation'],
        [
          '--key',
          PUB,
          '--new-bundle-format',
          '--insecure-ignore-tlog=true',
          '--trusted-root',
          emptyRoot,
          '--type',
          type,
          pinned,
        ],
        OFFLINE,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('The signatures were verified against the specified public key');
    }
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherPub = join(work, 'cosign-other.pub');
    writeFileSync(otherPub, other.publicKey.export({ format: 'pem', type: 'spki' }));
    const wrong = await cosign(
      ['verify-attestation'],
      [
        '--key',
        otherPub,
        '--new-bundle-format',
        '--insecure-ignore-tlog=true',
        '--trusted-root',
        emptyRoot,
        '--type',
        'spdxjson',
        pinned,
      ],
      OFFLINE,
    );
    expect(wrong.code).not.toBe(0);
  });

  describe('the other layouts and the log', () => {
    it('format: auto on distribution without the referrers API: legacy tags, and the reason', async () => {
      const repo = uniq('plain');
      const digest = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest.digest;
      const before = sigstore.requests.length;
      const r = await sbomSign({
        image: `${anon.host}/${repo}@${digest}`,
        attest: 'sbom',
        'rekor-url': sigstore.rekorUrl,
      });
      expect(r.errors).toEqual([]);
      expect(r.warnings).toEqual([
        'rekor-url: the legacy layout has no transparency log entry; the signatures are not logged',
      ]);
      expect(sigstore.requests.length).toBe(before);
      const hex = digest.slice(7);
      expect(r.stdout).toContain(
        `Signature format legacy: format: auto, and the registry has no OCI referrers API (cosign's sha256-${hex}.sig / .att tags)`,
      );
      expect((await listTags(anon.url, repo)).sort()).toEqual([`sha256-${hex}.att`, `sha256-${hex}.sig`, 'v1']);
    });

    it('format: bundle on distribution: the referrers tag schema, which the public-key gate reads', async () => {
      const repo = uniq('fallback');
      const digest = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest.digest;
      const pinned = `${anon.host}/${repo}@${digest}`;
      const r = await sbomSign({ image: pinned, attest: 'sbom', format: 'bundle' });
      expect(r.errors).toEqual([]);
      expect(r.stdout).toContain(`listed by the referrers tag sha256-${digest.slice(7)}`);
      expect((await listTags(anon.url, repo)).sort()).toEqual([`sha256-${digest.slice(7)}`, 'v1']);
      const gate = await promote({
        source: pinned,
        targets: `${anon.host}/${repo}:ok`,
        'public-key': PUB,
        'require-attestations': 'spdx',
        'dry-run': 'true',
      });
      expect(gate.errors).toEqual([]);
      expect(gate.code).toBe(0);
    });

    it('tlog with a rekor-url: each bundle carries a log entry, verified against the trusted root', async () => {
      const repo = uniq('logged');
      const digest = (await pushImage(proxy.url, repo, { tag: 'v1' })).manifest.digest;
      const pinned = `${proxy.host}/${repo}@${digest}`;
      const r = await sbomSign({ image: pinned, attest: 'sbom', 'rekor-url': sigstore.rekorUrl });
      expect(r.errors).toEqual([]);
      expect(r.outputs['rekor-log-index']).toMatch(/^\d+$/);
      const listed = await referrersApi(proxy.url, repo, digest);
      const { bundle } = await bundleOf(proxy.url, repo, listed.json.manifests[0]!.digest);
      expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
      expect(bundle.verificationMaterial.tlogEntries[0].inclusionPromise.signedEntryTimestamp).toBeTruthy();
      expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
      if (haveCosign) {
        // cosign checks the log entry too, against the same trusted root, offline
        const logged = await cosign(
          ['verify-attestation'],
          ['--key', PUB, '--new-bundle-format', '--trusted-root', trustedRoot, '--type', 'spdxjson', pinned],
          OFFLINE,
        );
        expect(logged.code, logged.stderr).toBe(0);
      }

      const checked = await promote({
        source: pinned,
        targets: `${proxy.host}/${repo}:ok`,
        'public-key': PUB,
        'trusted-root': trustedRoot,
        'require-attestations': 'spdx',
        'dry-run': 'true',
      });
      expect(checked.errors).toEqual([]);
      expect(checked.everything).toContain('its transparency log entry verified against trusted-root');
      const unchecked = await promote({
        source: pinned,
        targets: `${proxy.host}/${repo}:ok`,
        'public-key': PUB,
        'dry-run': 'true',
      });
      expect(unchecked.errors).toEqual([]);
      expect(unchecked.everything).toContain('its transparency log entry not checked: no trusted-root');
      // a trusted root that does not hold this log: the entry cannot be verified, the gate refuses
      const foreignRoot = join(work, 'foreign-root.json');
      writeFileSync(foreignRoot, JSON.stringify({ ...sigstore.trustedRoot, tlogs: [] }));
      const refused = await promote({
        source: pinned,
        targets: `${proxy.host}/${repo}:ok`,
        'public-key': PUB,
        'trusted-root': foreignRoot,
        'dry-run': 'true',
      });
      expect(refused.code).toBe(1);
      expect(refused.errors[0]).toContain('its bundle does not verify: inclusion promise could not be verified');
    });

    it('sign-platforms: each platform manifest of an index gets its own signature bundle', async () => {
      const repo = uniq('index');
      const fx = await pushFixture(proxy.url, repo, 'v1');
      const r = await sbomSign({
        image: `${proxy.host}/${repo}@${fx.index.digest}`,
        attest: 'none',
        sbom: 'none',
        'sign-platforms': 'true',
      });
      expect(r.errors).toEqual([]);
      for (const arch of ['amd64', 'arm64'] as const) {
        const platform = fx.platforms[arch].manifest.digest;
        expect(r.stdout).toMatch(
          new RegExp(`Platform linux/${arch} ${platform}: signature bundle .+@sha256:[0-9a-f]{64} \\(created\\)`),
        );
        const listed = await referrersApi(
          proxy.url,
          repo,
          platform,
          `?artifactType=${encodeURIComponent(BUNDLE_TYPE)}`,
        );
        expect(listed.headers.get('oci-filters-applied')).toBe('artifactType');
        expect(listed.json.manifests).toHaveLength(1);
        const { bundle } = await bundleOf(proxy.url, repo, listed.json.manifests[0]!.digest);
        const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
        expect(statement.subject[0].digest.sha256).toBe(platform.slice(7));
      }
    });

    it('tlog: false makes no log entry even with a rekor-url', async () => {
      const repo = uniq('unlogged');
      const digest = (await pushImage(proxy.url, repo, { tag: 'v1' })).manifest.digest;
      const before = sigstore.requests.length;
      const r = await sbomSign({
        image: `${proxy.host}/${repo}@${digest}`,
        attest: 'none',
        sbom: 'none',
        'rekor-url': sigstore.rekorUrl,
        tlog: 'false',
      });
      expect(r.errors).toEqual([]);
      expect(r.outputs['rekor-log-index']).toBe('');
      expect(sigstore.requests.length).toBe(before);
    });

    it('refuses format: bundle with a P-384 key before anything is written', async () => {
      const repo = uniq('p384');
      const digest = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest.digest;
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({
        format: 'pem',
        type: 'pkcs8',
      });
      const r = await sbomSign({ image: `${anon.host}/${repo}@${digest}`, key: p384.toString(), format: 'bundle' });
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        "Input 'format': 'bundle' cannot be used: the key is ECDSA secp384r1; bundles are signed with ECDSA P-256, RSA or Ed25519 keys (use format: legacy for this key)",
      ]);
      expect(await listTags(anon.url, repo)).toEqual(['v1']);
    });
  });

  describe("promote's gate refuses crafted key bundles, each with its reason", () => {
    let repo: string;
    let subject: { mediaType: string; digest: string; size: number };
    let pinned: string;
    let client: RegistryClient;

    beforeAll(async () => {
      repo = uniq('crafted');
      const image = (await pushImage(proxy.url, repo, { tag: 'v1' })).manifest;
      subject = { mediaType: image.mediaType, digest: image.digest, size: image.size };
      pinned = `${proxy.host}/${repo}@${subject.digest}`;
      client = new RegistryClient({ userAgent: 'key-bundle-test' });
    });
    afterAll(async () => client?.close());

    it('a tampered envelope (payload changed after signing)', async () => {
      const key = await loadPrivateKey(KEY, PASSWORD);
      const signer = await createKeyBundleSigner({ ...key, rekorUrl: undefined });
      const name = `${proxy.host}/${repo}`;
      const signed = await signer.sign(imageStatement(name, subject.digest, SIGN_PREDICATE, {}));
      const tampered = JSON.parse(JSON.stringify(signed.bundle));
      tampered.dsseEnvelope.payload = Buffer.from(
        JSON.stringify(imageStatement(name, subject.digest, SIGN_PREDICATE, { extra: 'added later' })),
      ).toString('base64');
      const repoRef = { registry: proxy.host, repository: repo };
      const pushed = await pushBundleReferrer(client, repoRef, subject, tampered, SIGN_PREDICATE);
      const r = await promote({ source: pinned, targets: `${name}:x`, 'public-key': PUB, 'dry-run': 'true' });
      expect(r.code).toBe(1);
      expect(r.errors[0]).toContain(
        `${pushed.digest}: its bundle does not verify: its signature does not verify with public-key (wrong key, or the envelope was changed)`,
      );
    });

    it('a valid signature over another subject', async () => {
      const key = await loadPrivateKey(KEY, PASSWORD);
      const signer = await createKeyBundleSigner({ ...key, rekorUrl: undefined });
      const name = `${proxy.host}/${repo}`;
      const elsewhere = `sha256:${'ab'.repeat(32)}`;
      const signed = await signer.sign(imageStatement(name, elsewhere, SIGN_PREDICATE, {}));
      const repoRef = { registry: proxy.host, repository: repo };
      const pushed = await pushBundleReferrer(client, repoRef, subject, signed.bundle, SIGN_PREDICATE);
      const r = await promote({ source: pinned, targets: `${name}:x`, 'public-key': PUB, 'dry-run': 'true' });
      expect(r.code).toBe(1);
      expect(r.errors[0]).toContain(`${pushed.digest}: it signs another subject than ${subject.digest}`);
    });
  });
});
