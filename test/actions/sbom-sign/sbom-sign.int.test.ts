// The sbom-sign bundle run the way the runner runs it, against a real registry, checked by the
// real cosign 2.5: `cosign verify --key` and `cosign verify-attestation --key --type ...` accept
// what the action wrote, a cosign signature already there is kept, a re-run stacks nothing, and
// an invalid SBOM is refused before anything is written.
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { artifactFiles, startResultsFake } from '../../fakes/actions-results.js';
import { runAction } from '../../harness/run-action.js';
import { cosign, haveCosign } from '../../harness/sigstore-tools.js';
import { startReleaseMirror } from '../../shared/trivy/release-mirror.js';
import { getManifest, listTags, pushFixture, pushImage } from '../promote/fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const fixtures = join(import.meta.dirname, '../../fixtures/sigstore');
const sboms = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const KEY = readFileSync(join(fixtures, 'cosign.key'), 'utf8');
const PUB = join(fixtures, 'cosign.pub');
const PASSWORD = 'correct horse battery';
let seq = 0;
const uniq = (name: string) => `sbom-sign-${process.pid}-${++seq}/${name}`;
const work = mkdtempSync(join(tmpdir(), 'sbom-sign-test-'));

/** A stand-in for trivy: writes a recorded real SBOM to --output and records its arguments. */
function standInTrivy(sbom: string): { path: string; args: () => string[] } {
  const dir = mkdtempSync(join(work, 'trivy-'));
  const path = join(dir, 'trivy');
  writeFileSync(
    path,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nout=""\nwhile [ $# -gt 0 ]; do if [ "$1" = "--output" ]; then out="$2"; shift; fi; shift; done\ncp "${sbom}" "$out"\n`,
  );
  chmodSync(path, 0o755);
  return { path, args: () => readFileSync(join(dir, 'args'), 'utf8').trim().split('\n') };
}

const WORKFLOW_ENV = {
  GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main',
  GITHUB_REPOSITORY_ID: '123456',
};

function sbomSign(inputs: Record<string, string>) {
  return runAction('sbom-sign', { inputs, env: WORKFLOW_ENV, timeoutMs: 90_000 });
}

const itCosign = haveCosign ? it : it.skip;

/** What the step showed: `::add-mask::<secret>` is the masking command itself, consumed by the runner. */
function visible(r: { everything: string }): string {
  return r.everything
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

async function manifestJson(url: string, repo: string, reference: string) {
  const m = await getManifest(url, repo, reference);
  if (!m) throw new Error(`${repo}:${reference} does not exist`);
  return { digest: m.digest, json: JSON.parse(m.bytes.toString('utf8')) };
}

describe('sbom-sign (bundle, real registry, checked by cosign)', () => {
  let repo: string;
  let digest: string;
  let pinned: string;
  const trivy = standInTrivy(join(sboms, 'syft-spdx-2.3-alpine.json'));

  beforeAll(async () => {
    repo = uniq('app');
    const image = await pushImage(anon.url, repo, { tag: 'v1', created: '2026-01-01T00:00:00Z' });
    digest = image.manifest.digest;
    pinned = `${anon.host}/${repo}@${digest}`;
  });

  itCosign('signs and attests with a cosign key; cosign verify and verify-attestation accept both', async () => {
    const r = await sbomSign({ image: pinned, key: KEY, 'key-password': PASSWORD, 'trivy-path': trivy.path });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(trivy.args()).toEqual([
      'image',
      '--quiet',
      '--image-src',
      'remote',
      '--format',
      'spdx-json',
      '--output',
      r.outputs.sbom,
      pinned,
    ]);
    const hex = digest.slice('sha256:'.length);
    expect(r.outputs.digest).toBe(digest);
    expect(r.outputs['sbom-digest']).toBe('sha256:bbe85f5032b67fde76aa614fbcb28075b8773d7101cf06c30c55b0cb8d53a134');
    expect(r.outputs.signature).toBe(`${anon.host}/${repo}:sha256-${hex}.sig`);
    const attestations = JSON.parse(r.outputs.attestations as string);
    expect(attestations.map((a: { predicateType: string; status: string }) => [a.predicateType, a.status])).toEqual([
      ['https://spdx.dev/Document', 'created'],
      ['https://slsa.dev/provenance/v1', 'added'],
    ]);
    expect(await listTags(anon.url, repo)).toEqual(expect.arrayContaining([`sha256-${hex}.sig`, `sha256-${hex}.att`]));

    const verified = await cosign(['verify'], ['--key', PUB, '--insecure-ignore-tlog=true', pinned]);
    expect(verified.stderr).toContain('The signatures were verified against the specified public key');
    expect(verified.code).toBe(0);
    const claims = JSON.parse(verified.stdout);
    expect(claims).toEqual([
      {
        critical: {
          identity: { 'docker-reference': `${anon.host}/${repo}` },
          image: { 'docker-manifest-digest': digest },
          type: 'cosign container image signature',
        },
        optional: null,
      },
    ]);
    for (const [type, predicateType] of [
      ['spdxjson', 'https://spdx.dev/Document'],
      ['slsaprovenance1', 'https://slsa.dev/provenance/v1'],
    ] as const) {
      const att = await cosign(
        ['verify-attestation'],
        ['--key', PUB, '--insecure-ignore-tlog=true', '--type', type, pinned],
      );
      expect(att.code, att.stderr).toBe(0);
      const envelopes = att.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(envelopes).toHaveLength(1);
      const statement = JSON.parse(Buffer.from(envelopes[0].payload, 'base64').toString('utf8'));
      expect(statement.predicateType).toBe(predicateType);
      expect(statement.subject).toEqual([{ name: `${anon.host}/${repo}`, digest: { sha256: hex } }]);
      if (type === 'slsaprovenance1') {
        expect(statement.predicate.buildDefinition.externalParameters.workflow).toEqual({
          ref: 'refs/heads/main',
          repository: 'https://github.com/octo-org/octo-app',
          path: '.github/workflows/release.yml',
        });
        expect(statement.predicate.buildDefinition.resolvedDependencies).toEqual([
          {
            uri: 'git+https://github.com/octo-org/octo-app@refs/heads/main',
            digest: { gitCommit: '860c1904a1ce19322e91ac35af1ab07466440c37' },
          },
        ]);
        expect(statement.predicate.runDetails.metadata.invocationId).toBe(
          'https://github.com/octo-org/octo-app/actions/runs/1658821493/attempts/1',
        );
      } else {
        expect(statement.predicate.spdxVersion).toBe('SPDX-2.3');
      }
    }

    // secrets: the password and every line of the key are masked and never printed
    expect(r.masks).toContain(PASSWORD);
    expect(visible(r)).not.toContain(PASSWORD);
    for (const line of KEY.split('\n').filter((l) => l && !l.startsWith('-----'))) {
      expect(visible(r)).not.toContain(line);
    }
    expect(r.summary).toContain(`cosign verify --key cosign.pub --insecure-ignore-tlog=true '${pinned}'`);
    expect(r.summary).toContain(
      `cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true --type spdxjson '${pinned}'`,
    );
    expect(r.summary).toContain('GPL-2.0-only (8)');

    // a re-run stacks nothing: same manifests, each reported unchanged
    const hexTag = `sha256-${hex}`;
    const sigBefore = await manifestJson(anon.url, repo, `${hexTag}.sig`);
    const attBefore = await manifestJson(anon.url, repo, `${hexTag}.att`);
    const again = await sbomSign({ image: pinned, key: KEY, 'key-password': PASSWORD, 'trivy-path': trivy.path });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.outputs.attestations as string).map((a: { status: string }) => a.status)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    expect(again.stdout).toContain('Signature unchanged');
    expect((await manifestJson(anon.url, repo, `${hexTag}.sig`)).digest).toBe(sigBefore.digest);
    expect((await manifestJson(anon.url, repo, `${hexTag}.att`)).digest).toBe(attBefore.digest);
  });

  itCosign('keeps a signature cosign wrote, and cosign still verifies both keys', async () => {
    const own = uniq('cosigned');
    const image = await pushImage(anon.url, own, { tag: 'v1' });
    const ref = `${anon.host}/${own}@${image.manifest.digest}`;
    const signed = await cosign(['sign'], ['--key', join(fixtures, 'cosign.key'), '--tlog-upload=false', '-y', ref], {
      COSIGN_PASSWORD: PASSWORD,
    });
    expect(signed.code, signed.stderr).toBe(0);
    // a second, PKCS#8 key signs as well
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pubPath = join(work, `pkcs8-${seq}.pub`);
    writeFileSync(pubPath, publicKey.export({ format: 'pem', type: 'spki' }));
    const r = await sbomSign({
      image: `${anon.host}/${own}:v1`,
      key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      sbom: join(sboms, 'trivy-cyclonedx-1.6-nginx.json'),
      'sbom-format': 'cyclonedx-json',
      attest: 'sbom',
    });
    expect(r.errors).toEqual([]);
    expect(r.stdout).toContain(`Image ${anon.host}/${own}:v1 is ${ref}`);
    expect(r.outputs.digest).toBe(image.manifest.digest);
    const sig = await manifestJson(anon.url, own, `${image.manifest.digest.replace(':', '-')}.sig`);
    expect(sig.json.layers).toHaveLength(2);
    for (const pub of [join(fixtures, 'cosign.pub'), pubPath]) {
      const v = await cosign(['verify'], ['--key', pub, '--insecure-ignore-tlog=true', ref]);
      expect(v.code, v.stderr).toBe(0);
    }
    const att = await cosign(
      ['verify-attestation'],
      ['--key', pubPath, '--insecure-ignore-tlog=true', '--type', 'cyclonedx', ref],
    );
    expect(att.code, att.stderr).toBe(0);
  });

  itCosign("what it signs passes promote's gate and follows the image: cosign verifies it at the target", async () => {
    const own = uniq('chain');
    const image = await pushImage(anon.url, own, { tag: 'rc' });
    const r = await sbomSign({
      image: `${anon.host}/${own}:rc`,
      key: KEY,
      'key-password': PASSWORD,
      'trivy-path': trivy.path,
    });
    expect(r.errors).toEqual([]);
    const target = uniq('prod');
    const promoted = await runAction('promote', {
      inputs: {
        source: `${anon.host}/${own}:rc`,
        targets: `${anon.host}/${target}:1.0.0`,
        'public-key': PUB,
        'require-attestations': 'spdx,slsa-provenance',
      },
      eventName: 'workflow_dispatch',
      timeoutMs: 90_000,
    });
    expect(promoted.errors).toEqual([]);
    const at = `${anon.host}/${target}@${image.manifest.digest}`;
    const verified = await cosign(['verify'], ['--key', PUB, '--insecure-ignore-tlog=true', at]);
    expect(verified.code, verified.stderr).toBe(0);
    const att = await cosign(
      ['verify-attestation'],
      ['--key', PUB, '--insecure-ignore-tlog=true', '--type', 'spdxjson', at],
    );
    expect(att.code, att.stderr).toBe(0);
  });

  itCosign('signs a multi-platform index at its digest and, with sign-platforms, each platform', async () => {
    const own = uniq('multi');
    const fx = await pushFixture(anon.url, own, 'v2');
    const r = await sbomSign({
      image: `${anon.host}/${own}:v2`,
      key: KEY,
      'key-password': PASSWORD,
      sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
      attest: 'sbom',
      'sign-platforms': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.digest).toBe(fx.index.digest);
    for (const d of [fx.index.digest, fx.platforms.amd64.manifest.digest, fx.platforms.arm64.manifest.digest]) {
      const v = await cosign(['verify'], ['--key', PUB, '--insecure-ignore-tlog=true', `${anon.host}/${own}@${d}`]);
      expect(v.code, `${d}: ${v.stderr}`).toBe(0);
    }
    expect(r.stdout).toContain(`Platform linux/arm64 ${fx.platforms.arm64.manifest.digest}: signature created`);
  });

  itCosign(
    "attests a trivy-scan report with cosign's vuln predicate; cosign verify-attestation --type vuln accepts it",
    async () => {
      const own = uniq('vuln');
      const image = await pushImage(anon.url, own, { tag: 'v1' });
      const report = join(import.meta.dirname, '../../../../shared/fixtures/trivy/FuelTime-1.json');
      const r = await sbomSign({
        image: `${anon.host}/${own}@${image.manifest.digest}`,
        key: KEY,
        'key-password': PASSWORD,
        sbom: 'none',
        attest: 'vuln',
        'vuln-report': report,
      });
      expect(r.errors).toEqual([]);
      const att = await cosign(
        ['verify-attestation'],
        ['--key', PUB, '--insecure-ignore-tlog=true', '--type', 'vuln', `${anon.host}/${own}@${image.manifest.digest}`],
      );
      expect(att.code, att.stderr).toBe(0);
      const statement = JSON.parse(Buffer.from(JSON.parse(att.stdout.trim()).payload, 'base64').toString('utf8'));
      expect(statement.predicateType).toBe('https://cosign.sigstore.dev/attestation/vuln/v1');
      expect(statement.predicate.scanner.uri).toBe('pkg:github/aquasecurity/trivy@0.69.2');
      expect(statement.predicate.scanner.result.ArtifactName).toBe(
        JSON.parse(readFileSync(report, 'utf8')).ArtifactName,
      );
    },
  );

  itCosign(
    'retention-cleanup keeps what it signed with the kept image and sweeps it with the deleted one',
    async () => {
      const own = uniq('retained');
      const kept = await pushImage(anon.url, own, { tag: '1.0.0' });
      const doomed = await pushImage(anon.url, own, { tag: 'pr-7' });
      for (const tag of ['1.0.0', 'pr-7']) {
        const r = await sbomSign({
          image: `${anon.host}/${own}:${tag}`,
          key: KEY,
          'key-password': PASSWORD,
          'trivy-path': trivy.path,
        });
        expect(r.errors).toEqual([]);
      }
      const cleanup = await runAction('retention-cleanup', {
        inputs: { repositories: `${anon.host}/${own}`, provider: 'oci', 'delete-tags': 'pr-*' },
        eventName: 'schedule',
        timeoutMs: 90_000,
      });
      expect(cleanup.errors).toEqual([]);
      const tags = await listTags(anon.url, own);
      const k = kept.manifest.digest.replace(':', '-');
      const d = doomed.manifest.digest.replace(':', '-');
      expect(tags.sort()).toEqual(['1.0.0', `${k}.att`, `${k}.sig`]);
      expect(tags).not.toContain(`${d}.sig`);
      const at = `${anon.host}/${own}@${kept.manifest.digest}`;
      expect((await cosign(['verify'], ['--key', PUB, '--insecure-ignore-tlog=true', at])).code).toBe(0);
      const att = await cosign(
        ['verify-attestation'],
        ['--key', PUB, '--insecure-ignore-tlog=true', '--type', 'spdxjson', at],
      );
      expect(att.code, att.stderr).toBe(0);
    },
  );

  it('sign: none only produces and validates the SBOM (CycloneDX from the generator) and writes nothing', async () => {
    const own = uniq('unsigned');
    const image = await pushImage(anon.url, own, { tag: 'v1' });
    const cdx = standInTrivy(join(sboms, 'trivy-cyclonedx-1.6-nginx.json'));
    const r = await sbomSign({
      image: `${anon.host}/${own}@${image.manifest.digest}`,
      sign: 'none',
      attest: 'none',
      'sbom-format': 'cyclonedx-json',
      'trivy-path': cdx.path,
    });
    expect(r.errors).toEqual([]);
    expect(cdx.args().slice(0, 6)).toEqual(['image', '--quiet', '--image-src', 'remote', '--format', 'cyclonedx-json']);
    expect(r.outputs.sbom).toMatch(/sbom\.cdx\.json$/);
    expect(r.outputs.signature).toBe('');
    expect(r.outputs.attestations).toBe('[]');
    expect(r.summary).toContain('CycloneDX 1.6');
    expect(r.summary).toContain('GPL-2.0-only (76)');
    expect(await listTags(anon.url, own)).toEqual(['v1']);
  });

  it('refuses an invalid SBOM before anything is written', async () => {
    const own = uniq('invalid');
    const image = await pushImage(anon.url, own, { tag: 'v1' });
    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5' }));
    const r = await sbomSign({
      image: `${anon.host}/${own}@${image.manifest.digest}`,
      key: KEY,
      'key-password': PASSWORD,
      sbom: bad,
    });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `Input 'sbom': '${bad}' is CycloneDX but sbom-format is spdx-json (set sbom-format: cyclonedx-json)`,
    ]);
    expect(await listTags(anon.url, own)).toEqual(['v1']);
  });

  it.each([
    [
      { 'key-password': 'wrong' },
      "Input 'key': the password does not open the cosign private key (wrong key-password?)",
    ],
    [
      { sign: 'none' },
      "Input 'attest': attestations are signed: with sign: none set attest: none (asked for sbom, provenance)",
    ],
    [
      { attest: 'sbom,sbomb' },
      "Input 'attest': 'sbomb' is not accepted (expected none or a list of: sbom, provenance, vuln)",
    ],
    [{ attest: 'vuln' }, "Input 'vuln-report': is required when attest includes vuln (the JSON report of trivy-scan)"],
  ])('refuses %o with one error and writes nothing', async (extra, message) => {
    const own = uniq('refused');
    const image = await pushImage(anon.url, own, { tag: 'v1' });
    const r = await sbomSign({
      image: `${anon.host}/${own}@${image.manifest.digest}`,
      key: KEY,
      'key-password': PASSWORD,
      'trivy-path': trivy.path,
      ...extra,
    });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([message]);
    expect(visible(r)).not.toContain(PASSWORD);
    expect(await listTags(anon.url, own)).toEqual(['v1']);
  });

  it('without trivy-path, installs Trivy as trivy-scan does: verified archive, tool cache, tampered refused', async () => {
    // the release's `trivy` is the stand-in, packed as Trivy's release archives are
    const released = standInTrivy(join(sboms, 'syft-spdx-2.3-alpine.json'));
    const mirror = await startReleaseMirror({
      '0.99.1': { file: released.path },
      '0.99.2': { script: '#!/bin/sh\necho tampered\n' },
    });
    try {
      const sum = mirror.sha256('0.99.1');
      const install = { 'trivy-download-url': mirror.url, 'trivy-checksum': sum };
      const r = await sbomSign({ image: pinned, sign: 'none', attest: 'none', 'trivy-version': '0.99.1', ...install });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`trivy 0.99.1 (download, archive sha256 ${sum})`);
      expect(mirror.requests).toEqual(['/v0.99.1/trivy_0.99.1_Linux-64bit.tar.gz']);
      const installed = join(r.dir, 'toolcache', 'trivy', '0.99.1', 'x64', 'trivy');
      expect(readFileSync(installed).equals(readFileSync(released.path))).toBe(true);
      expect(released.args().slice(0, 6)).toEqual([
        'image',
        '--quiet',
        '--image-src',
        'remote',
        '--format',
        'spdx-json',
      ]);
      expect(r.outputs['sbom-digest']).toBe('sha256:bbe85f5032b67fde76aa614fbcb28075b8773d7101cf06c30c55b0cb8d53a134');

      const refused = await sbomSign({
        image: pinned,
        sign: 'none',
        attest: 'none',
        'trivy-version': '0.99.2',
        ...install,
      });
      expect(refused.code).toBe(1);
      expect(refused.errors).toEqual([
        `installing trivy 0.99.2: the archive from ${mirror.url}/v0.99.2/trivy_0.99.2_Linux-64bit.tar.gz has SHA-256 ${createHash('sha256').update(mirror.archive('0.99.2')).digest('hex')}, not ${sum} (trivy-checksum): it was refused and nothing was installed`,
      ]);
      expect(existsSync(join(refused.dir, 'toolcache', 'trivy', '0.99.2'))).toBe(false);

      // a given SBOM file needs no Trivy: nothing is downloaded
      const given = await sbomSign({
        image: pinned,
        sign: 'none',
        attest: 'none',
        sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
        'trivy-version': '0.99.1',
        ...install,
      });
      expect(given.code).toBe(0);
      expect(mirror.requests).toHaveLength(2);

      // a version without a committed checksum and no trivy-checksum: refused, naming the input
      const unpinned = await sbomSign({ image: pinned, sign: 'none', attest: 'none', 'trivy-version': '0.50.0' });
      expect(unpinned.code).toBe(1);
      expect(unpinned.errors[0]).toContain("Input 'trivy-version': 0.50.0 has no checksum committed in this action");
    } finally {
      await mirror.close();
    }
  });

  it('upload-artifact: the SBOM, the signature payload and signature, and the attestation envelopes, through the uploader', async () => {
    const results = await startResultsFake();
    try {
      const r = await runAction('sbom-sign', {
        inputs: {
          image: pinned,
          key: KEY,
          'key-password': PASSWORD,
          'trivy-path': trivy.path,
          'upload-artifact': 'true',
          'artifact-name': 'sbom-app',
        },
        env: { ...WORKFLOW_ENV, ACTIONS_RUNTIME_TOKEN: results.token, ACTIONS_RESULTS_URL: results.url },
        timeoutMs: 90_000,
      });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      const stored = results.artifacts.find((a) => a.name === 'sbom-app');
      expect(stored).toBeDefined();
      const files = artifactFiles(stored!.bytes);
      expect(Object.keys(files).sort()).toEqual([
        'attestation-1-spdx.dsse.json',
        'attestation-2-slsa-provenance.dsse.json',
        'sbom.spdx.json',
        'signature.payload.json',
        'signature.sig',
      ]);
      expect(files['sbom.spdx.json']).toBe(readFileSync(join(sboms, 'syft-spdx-2.3-alpine.json'), 'utf8'));
      // the payload and its signature verify with the public key, away from the registry
      const payload = Buffer.from(files['signature.payload.json'] as string);
      expect(JSON.parse(payload.toString()).critical.image['docker-manifest-digest']).toBe(digest);
      expect(
        verify(
          'sha256',
          payload,
          createPublicKey(readFileSync(PUB)),
          Buffer.from(files['signature.sig'] as string, 'base64'),
        ),
      ).toBe(true);
      const envelope = JSON.parse(files['attestation-1-spdx.dsse.json'] as string);
      expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
      const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
      expect(statement.predicateType).toBe('https://spdx.dev/Document');
      expect(statement.subject[0].digest.sha256).toBe(digest.slice('sha256:'.length));
      expect(r.stdout).toContain("Uploaded artifact 'sbom-app' (sbom.spdx.json, signature.payload.json, signature.sig");
      expect(r.summary).toContain("Uploaded artifact 'sbom-app'");
      expect(visible(r)).not.toContain(PASSWORD);
      expect(r.everything.replace(/::add-mask::.*\n/g, '')).not.toContain(results.token);

      // GHES: the uploader is not even loaded; the files stay, named in a notice
      const calls = results.calls.length;
      const ghes = await runAction('sbom-sign', {
        inputs: { image: pinned, sign: 'none', attest: 'none', 'trivy-path': trivy.path, 'upload-artifact': 'true' },
        env: {
          ...WORKFLOW_ENV,
          ACTIONS_RUNTIME_TOKEN: results.token,
          ACTIONS_RESULTS_URL: results.url,
          GITHUB_SERVER_URL: 'https://ghes.example.com',
        },
        timeoutMs: 90_000,
      });
      expect(ghes.code).toBe(0);
      expect(results.calls.length).toBe(calls);
      expect(ghes.stdout).toMatch(
        /Artifact 'sbom-sign' was not uploaded: @actions\/artifact does not support GitHub Enterprise Server \(ghes\.example\.com\)\. The files stay at \S+\/artifact\/sbom\.spdx\.json;/,
      );
    } finally {
      await results.close();
    }
  });

  it('reports a failing SBOM generator with its exit code and last line', async () => {
    const dir = mkdtempSync(join(work, 'failing-'));
    const failing = join(dir, 'trivy');
    writeFileSync(failing, '#!/bin/sh\necho "FATAL unable to find the specified image" >&2\nexit 1\n');
    chmodSync(failing, 0o755);
    const r = await sbomSign({ image: pinned, key: KEY, 'key-password': PASSWORD, 'trivy-path': failing });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `generating the SBOM of ${pinned} with ${failing}: exit 1: FATAL unable to find the specified image`,
    ]);
  });
});
