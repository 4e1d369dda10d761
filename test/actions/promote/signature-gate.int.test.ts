// promote's signature and attestation gates, run as the runner runs the bundle, on signatures
// written by the real cosign 2.5 (`cosign sign --key`, `cosign attest --key`) and on crafted
// ones: a valid signature passes; a wrong key, a tampered payload, a signature over another
// digest, a missing attestation and referrer entries that lie about what they are are each
// refused with their reason, and nothing is promoted.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { cosign, haveCosign } from '../../harness/sigstore-tools.js';
import {
  attachReferrer,
  type Desc,
  getManifest,
  listTags,
  OCI_INDEX,
  OCI_MANIFEST,
  pushBlob,
  pushImage,
  putManifest,
} from './fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const keys = join(import.meta.dirname, '../../fixtures/sigstore');
const PUB = join(keys, 'cosign.pub');
const PASSWORD = 'correct horse battery';
const sboms = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const work = mkdtempSync(join(tmpdir(), 'signature-gate-'));
let seq = 0;
const uniq = (name: string) => `gate-${process.pid}-${++seq}/${name}`;
const itCosign = haveCosign ? it : it.skip;

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

async function cosignSign(ref: string): Promise<void> {
  const r = await cosign(['sign'], ['--key', join(keys, 'cosign.key'), '--tlog-upload=false', '-y', ref], {
    COSIGN_PASSWORD: PASSWORD,
  });
  if (r.code !== 0) throw new Error(`cosign sign ${ref}: ${r.stderr}`);
}

async function manifestJson(repo: string, reference: string) {
  const m = await getManifest(anon.url, repo, reference);
  if (!m) throw new Error(`${repo}:${reference} does not exist`);
  return JSON.parse(m.bytes.toString('utf8'));
}

const tagOf = (digest: string, kind: string) => `${digest.replace(':', '-')}.${kind}`;

describe('promote signature gate (bundle, real registry, cosign-written signatures)', () => {
  let repo: string;
  let signed: Desc;
  let unsigned: Desc;
  let otherPub: string;

  beforeAll(async () => {
    repo = uniq('app');
    signed = (await pushImage(anon.url, repo, { tag: 'signed' })).manifest;
    unsigned = (await pushImage(anon.url, repo, { tag: 'unsigned' })).manifest;
    if (haveCosign) await cosignSign(`${anon.host}/${repo}@${signed.digest}`);
    otherPub = join(work, 'other.pub');
    writeFileSync(
      otherPub,
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }),
    );
  });

  itCosign('accepts a signature written by cosign sign --key, verified with cosign.pub', async () => {
    const r = await promote({ source: `${anon.host}/${repo}:signed`, targets: 'verified', 'public-key': PUB });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Gate require-signature: passed: cosign signature in ${tagOf(signed.digest, 'sig')}: signature over ${signed.digest} verified with public-key`,
    );
    expect(await listTags(anon.url, repo)).toContain('verified');
  });

  itCosign('takes the public key as PEM text as well as a path', async () => {
    const r = await promote({
      source: `${anon.host}/${repo}:signed`,
      targets: 'verified-inline',
      'public-key': readFileSync(PUB, 'utf8'),
    });
    expect(r.errors).toEqual([]);
  });

  itCosign('refuses a signature that does not verify with the key given', async () => {
    const r = await promote({ source: `${anon.host}/${repo}:signed`, targets: 'wrong-key', 'public-key': otherPub });
    expect(r.code).toBe(1);
    const layer = (await manifestJson(repo, tagOf(signed.digest, 'sig'))).layers[0].digest;
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${repo}:signed refused, nothing was written: require-signature: no valid signature for ${signed.digest}: ${layer}: its signature does not verify with public-key`,
    ]);
    expect(await listTags(anon.url, repo)).not.toContain('wrong-key');
  });

  itCosign('refuses a valid signature of another digest copied onto this one', async () => {
    const sig = await manifestJson(repo, tagOf(signed.digest, 'sig'));
    await putManifest(anon.url, repo, tagOf(unsigned.digest, 'sig'), sig, OCI_MANIFEST);
    const r = await promote({ source: `${anon.host}/${repo}:unsigned`, targets: 'copied-sig', 'public-key': PUB });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${repo}:unsigned refused, nothing was written: require-signature: no valid signature for ${unsigned.digest}: ${sig.layers[0].digest}: it signs ${signed.digest}, not ${unsigned.digest}`,
    ]);
    // without a key the claim is still checked: a signature for another digest is no signature
    const unkeyed = await promote({
      source: `${anon.host}/${repo}:unsigned`,
      targets: 'copied-sig',
      'require-signature': 'true',
    });
    expect(unkeyed.code).toBe(1);
    expect(unkeyed.errors[0]).toContain(`it signs ${signed.digest}, not ${unsigned.digest}`);
  });

  itCosign('refuses a tampered payload that carries the original signature', async () => {
    const own = uniq('tampered');
    const image = (await pushImage(anon.url, own, { tag: 'v1' })).manifest;
    await cosignSign(`${anon.host}/${own}@${image.digest}`);
    const sig = await manifestJson(own, tagOf(image.digest, 'sig'));
    // same claim about the same digest, but another docker-reference: the bytes differ
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${anon.host}/elsewhere` },
          image: { 'docker-manifest-digest': image.digest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const layer = await pushBlob(anon.url, own, payload, 'application/vnd.dev.cosign.simplesigning.v1+json');
    const config = await pushBlob(
      anon.url,
      own,
      Buffer.from(
        JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }),
      ),
      'application/vnd.oci.image.config.v1+json',
    );
    await putManifest(
      anon.url,
      own,
      tagOf(image.digest, 'sig'),
      { ...sig, config, layers: [{ ...layer, annotations: sig.layers[0].annotations }] },
      OCI_MANIFEST,
    );
    const r = await promote({ source: `${anon.host}/${own}:v1`, targets: 'prod', 'public-key': PUB });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${own}:v1 refused, nothing was written: require-signature: no valid signature for ${image.digest}: ${layer.digest}: its signature does not verify with public-key`,
    ]);
  });

  it('refuses an unsigned image, naming what was looked for', async () => {
    const own = uniq('unsigned');
    const image = (await pushImage(anon.url, own, { tag: 'v1' })).manifest;
    const keyed = await promote({ source: `${anon.host}/${own}:v1`, targets: 'x', 'public-key': otherPub });
    expect(keyed.errors).toEqual([
      `Promotion of ${anon.host}/${own}:v1 refused, nothing was written: require-signature: no Sigstore bundle signature referrer and no cosign signature found for ${image.digest}`,
    ]);
    const unkeyed = await promote({ source: `${anon.host}/${own}:v1`, targets: 'x', 'require-signature': 'true' });
    expect(unkeyed.errors).toEqual([
      `Promotion of ${anon.host}/${own}:v1 refused, nothing was written: require-signature: no cosign signature (tag ${tagOf(image.digest, 'sig')}) and no Sigstore bundle referrer found for ${image.digest}`,
    ]);
    expect(await listTags(anon.url, own)).toEqual(['v1']);
  });

  itCosign('require-attestations: accepts cosign attest --key, refuses a missing predicate type', async () => {
    const own = uniq('attested');
    const image = (await pushImage(anon.url, own, { tag: 'v1' })).manifest;
    const ref = `${anon.host}/${own}@${image.digest}`;
    await cosignSign(ref);
    const attested = await cosign(
      ['attest'],
      [
        '--key',
        join(keys, 'cosign.key'),
        '--tlog-upload=false',
        '-y',
        '--type',
        'spdxjson',
        '--predicate',
        join(sboms, 'syft-spdx-2.3-alpine.json'),
        ref,
      ],
      { COSIGN_PASSWORD: PASSWORD },
    );
    expect(attested.code, attested.stderr).toBe(0);
    const ok = await promote({
      source: `${anon.host}/${own}:v1`,
      targets: 'attested',
      'public-key': PUB,
      'require-attestations': 'spdx',
    });
    expect(ok.errors).toEqual([]);
    expect(ok.stdout).toContain(
      `Gate require-attestations: passed: https://spdx.dev/Document attested for ${image.digest} in ${tagOf(image.digest, 'att')} (verified with public-key)`,
    );
    const missing = await promote({
      source: `${anon.host}/${own}:v1`,
      targets: 'attested-2',
      'public-key': PUB,
      'require-attestations': 'spdx,slsa-provenance',
    });
    expect(missing.code).toBe(1);
    expect(missing.errors).toEqual([
      `Promotion of ${anon.host}/${own}:v1 refused, nothing was written: require-attestations: no valid attestation in ${tagOf(image.digest, 'att')} for https://slsa.dev/provenance/v1 (none attested)`,
    ]);
    const wrongKey = await promote({
      source: `${anon.host}/${own}:v1`,
      targets: 'attested-3',
      'public-key': otherPub,
      'require-attestations': 'spdx',
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.errors[0]).toContain('require-attestations: no valid attestation');
    expect(wrongKey.errors[0]).toContain('its envelope signature does not verify with public-key');
    expect(await listTags(anon.url, own)).not.toContain('attested-2');
  });

  it('refuses configuration it cannot use, before any registry request', async () => {
    const bad = await promote({
      source: `${anon.host}/${repo}:signed`,
      targets: 'x',
      'public-key': 'no-such-file.pub',
    });
    expect(bad.errors).toEqual([
      "Input 'public-key': 'no-such-file.pub' is neither a PEM public key nor the path of one (expected the text or path of cosign.pub)",
    ]);
    const types = await promote({
      source: `${anon.host}/${repo}:signed`,
      targets: 'x',
      'require-attestations': 'sbom',
    });
    expect(types.errors).toEqual([
      "Input 'require-attestations': 'sbom' is not a predicate type (expected a URI or one of: spdx, spdxjson, cyclonedx, slsa, slsa-provenance, slsaprovenance1, provenance, vuln)",
    ]);
  });
});

describe('promote signature gate without a key: referrers are fetched, not taken at their word', () => {
  it('refuses an index entry that points at the image itself, or at a manifest about another digest', async () => {
    const repo = uniq('liars');
    const image = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest;
    const other = (await pushImage(anon.url, repo, { tag: 'other' })).manifest;
    const foreign = await attachReferrer(anon.url, repo, other, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    await putManifest(
      anon.url,
      repo,
      image.digest.replace(':', '-'),
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { ...image, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
          { ...foreign, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
        ],
      },
      OCI_INDEX,
    );
    const r = await promote({ source: `${anon.host}/${repo}:v1`, targets: 'prod', 'require-signature': 'true' });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${repo}:v1 refused, nothing was written: require-signature: no valid signature for ${image.digest}: ${image.digest}: the referrer entry is the image itself; ${foreign.digest}: its subject is ${other.digest}, not ${image.digest}`,
    ]);
  });

  it('refuses an entry whose manifest is not a signature, whatever the index says', async () => {
    const repo = uniq('sbom-as-sig');
    const image = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest;
    const sbom = await attachReferrer(anon.url, repo, image, 'application/spdx+json');
    await putManifest(
      anon.url,
      repo,
      image.digest.replace(':', '-'),
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ ...sbom, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }],
      },
      OCI_INDEX,
    );
    const r = await promote({ source: `${anon.host}/${repo}:v1`, targets: 'prod', 'require-signature': 'true' });
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${repo}:v1 refused, nothing was written: require-signature: no valid signature for ${image.digest}: ${sbom.digest}: it is application/spdx+json, not a signature, whatever the index says`,
    ]);
  });

  it('prints what a crafted referrer says as data: no workflow command gets through', async () => {
    const repo = uniq('hostile');
    const image = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest;
    const hostile = 'text/plain\n::warning::injected by the registry';
    const crafted = await attachReferrer(anon.url, repo, image, hostile);
    await putManifest(
      anon.url,
      repo,
      image.digest.replace(':', '-'),
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ ...crafted, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }],
      },
      OCI_INDEX,
    );
    const r = await promote({ source: `${anon.host}/${repo}:v1`, targets: 'prod', 'require-signature': 'true' });
    expect(r.code).toBe(1);
    expect(r.warnings).toEqual([]);
    expect(r.stdout.split('\n').filter((l) => l.trimStart().startsWith('::warning::'))).toEqual([]);
    expect(r.errors).toEqual([
      `Promotion of ${anon.host}/${repo}:v1 refused, nothing was written: require-signature: no valid signature for ${image.digest}: ${crafted.digest}: it is text/plain\\u000a::warning::injected by the registry, not a signature, whatever the index says`,
    ]);
  });

  it('accepts a bundle referrer whose manifest has the image as its subject', async () => {
    const repo = uniq('bundle');
    const image = (await pushImage(anon.url, repo, { tag: 'v1' })).manifest;
    const bundle = await attachReferrer(anon.url, repo, image, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    const r = await promote({ source: `${anon.host}/${repo}:v1`, targets: 'prod', 'require-signature': 'true' });
    expect(r.errors).toEqual([]);
    expect(r.stdout).toContain(
      `Gate require-signature: passed: signature referrer ${bundle.digest} (application/vnd.dev.sigstore.bundle.v0.3+json) with subject ${image.digest} (not verified: no public-key given)`,
    );
  });
});
