// Keyless signatures in cosign's legacy tag layout (`sign: keyless`, `format: legacy`), the
// bundles run as the runner runs them against a private Sigstore instance on 127.0.0.1
// (@sigstore/mock's Fulcio, Rekor and TSA): sbom-sign writes `sha256-<hex>.sig` / `.att` layers
// with the certificate, chain, Rekor bundle and RFC 3161 timestamp annotations cosign 2.x writes,
// re-runs stack nothing, and promote's gate turns each layer back into a Sigstore bundle and
// verifies it for the identity and issuer, refusing each forged or foreign layer with its reason.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import { type SigstoreFake, startSigstoreFake } from '../../fakes/sigstore.js';
import { runAction } from '../../harness/run-action.js';
import { cosign, haveCosign } from '../../harness/sigstore-tools.js';
import { artifactFiles, startResultsFake } from '../../fakes/actions-results.js';
import { createBundleVerifier } from '#shared/sigstore/verify-bundle.js';
import {
  getManifest,
  listTags,
  OCI_MANIFEST,
  pushBlob,
  pushFixture,
  pushImage,
  putManifest,
} from '../promote/fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const sboms = join(import.meta.dirname, '../../../../shared/fixtures/sbom');
const WORKFLOW_REF = 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main';
const IDENTITY = `https://github.com/${WORKFLOW_REF}`;
const ISSUER = 'https://token.actions.githubusercontent.com';
let seq = 0;
const uniq = (name: string) => `kl-${process.pid}-${++seq}/${name}`;
const work = mkdtempSync(join(tmpdir(), 'keyless-legacy-'));
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const DSSE = 'application/vnd.dsse.envelope.v1+json';
const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const tagOf = (digest: string, kind: string) => `${digest.replace(':', '-')}.${kind}`;

const itCosign = haveCosign ? it : it.skip;

const pem = (label: string, b64: string) =>
  `-----BEGIN ${label}-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/**
 * What cosign 2.5 needs to verify against a private instance without TUF and without the network:
 * the Fulcio root, the Rekor and CT log keys and the TSA chain from the trusted root, a private
 * TUF folder, and a dead proxy so that any attempt to go online fails instead of leaving.
 */
// biome-ignore lint/suspicious/noExplicitAny: the TrustedRoot JSON of the fake
function cosignOffline(root: any, dir: string): { env: Record<string, string>; flags: string[] } {
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const fulcio = write(
    'fulcio.pem',
    root.certificateAuthorities[0].certChain.certificates
      .map((c: { rawBytes: string }) => pem('CERTIFICATE', c.rawBytes))
      .join(''),
  );
  const rekor = write('rekor.pub', pem('PUBLIC KEY', root.tlogs[0].publicKey.rawBytes));
  const ctlog = write('ctlog.pub', pem('PUBLIC KEY', root.ctlogs[0].publicKey.rawBytes));
  const tsa = write(
    'tsa.pem',
    root.timestampAuthorities[0].certChain.certificates
      .map((c: { rawBytes: string }) => pem('CERTIFICATE', c.rawBytes))
      .join(''),
  );
  return {
    env: {
      SIGSTORE_ROOT_FILE: fulcio,
      SIGSTORE_REKOR_PUBLIC_KEY: rekor,
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: ctlog,
      TUF_ROOT: join(dir, 'tuf'),
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '',
    },
    flags: ['--timestamp-certificate-chain', tsa, '--use-signed-timestamps', '--offline'],
  };
}

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

function sbomSign(inputs: Record<string, string>, fake: SigstoreFake = sigstore) {
  return runAction('sbom-sign', {
    inputs: {
      'fulcio-url': fake.fulcioUrl,
      'rekor-url': fake.rekorUrl,
      'tsa-url': fake.tsaUrl,
      format: 'legacy',
      ...inputs,
    },
    env: { ...oidc.env, GITHUB_WORKFLOW_REF: WORKFLOW_REF },
    timeoutMs: 90_000,
  });
}

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are JSON documents
async function manifestJson(repo: string, reference: string): Promise<any> {
  const m = await getManifest(anon.url, repo, reference);
  if (!m) throw new Error(`${repo}:${reference} does not exist`);
  return JSON.parse(m.bytes.toString('utf8'));
}

async function blob(repo: string, digest: string): Promise<Buffer> {
  const res = await fetch(`${anon.url}/v2/${repo}/blobs/${digest}`);
  if (!res.ok) throw new Error(`blob ${digest}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const decodeBody = (annotation: string) =>
  JSON.parse(Buffer.from(JSON.parse(annotation).Payload.body, 'base64').toString('utf8'));

/** Writes `manifest` (layers rewritten by `edit`) as the cosign tag of `digest` in `repo`. */
async function craftTag(
  repo: string,
  digest: string,
  kind: 'sig' | 'att',
  // biome-ignore lint/suspicious/noExplicitAny: manifests are JSON documents
  manifest: any,
  edit: (layer: { annotations: Record<string, string>; payload: Buffer }) => {
    annotations: Record<string, string>;
    payload: Buffer;
  },
): Promise<void> {
  const layers = [];
  for (const l of manifest.layers) {
    const out = edit({ annotations: { ...l.annotations }, payload: await blob(repo, l.digest) });
    const pushed = await pushBlob(anon.url, repo, out.payload, l.mediaType);
    layers.push({ mediaType: l.mediaType, size: pushed.size, digest: pushed.digest, annotations: out.annotations });
  }
  await putManifest(anon.url, repo, tagOf(digest, kind), { ...manifest, layers }, OCI_MANIFEST);
}

function visible(r: { everything: string }): string {
  return r.everything
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
}

// biome-ignore lint/suspicious/noExplicitAny: the TrustedRoot JSON of the fake
const trusted = (): any => sigstore.trustedRoot;

const keyless = () => ({
  'certificate-identity': IDENTITY,
  'certificate-oidc-issuer': ISSUER,
  'trusted-root': trustedRoot,
});

describe('keyless legacy: sbom-sign writes cosign 2.x keyless layers, promote verifies them', () => {
  let repo: string;
  let digest: string;
  let signed: Awaited<ReturnType<typeof sbomSign>>;

  beforeAll(async () => {
    repo = uniq('app');
    digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
    // the default, format: auto, on a registry without the referrers API
    signed = await sbomSign({
      image: `${anon.host}/${repo}:rc`,
      sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
      format: 'auto',
    });
  });

  it('writes the .sig layer cosign 2.x keyless writes: payload, signature, certificate, chain, Rekor bundle, timestamp', async () => {
    expect(signed.errors).toEqual([]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(
      `Signature format legacy: format: auto, and the registry has no OCI referrers API (cosign's ${tagOf(digest, 'sig').replace(/\.sig$/, '')}.sig / .att tags)`,
    );
    expect(signed.outputs.signature).toBe(`${anon.host}/${repo}:${tagOf(digest, 'sig')}`);
    expect(signed.outputs['certificate-identity']).toBe(IDENTITY);
    expect(signed.outputs['rekor-log-index']).toMatch(/^\d+$/);
    const sig = await manifestJson(repo, tagOf(digest, 'sig'));
    expect(sig.layers).toHaveLength(1);
    const layer = sig.layers[0];
    expect(layer.mediaType).toBe(SIMPLE_SIGNING);
    expect(Object.keys(layer.annotations).sort()).toEqual([
      'dev.cosignproject.cosign/signature',
      'dev.sigstore.cosign/bundle',
      'dev.sigstore.cosign/certificate',
      'dev.sigstore.cosign/chain',
      'dev.sigstore.cosign/rfc3161timestamp',
    ]);
    const payload = await blob(repo, layer.digest);
    expect(JSON.parse(payload.toString('utf8')).critical.image['docker-manifest-digest']).toBe(digest);
    // the Rekor bundle as Go marshals cosign's RekorBundle: SET, then body/integratedTime/logIndex/logID
    const rekor = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle']);
    expect(Object.keys(rekor)).toEqual(['SignedEntryTimestamp', 'Payload']);
    expect(Object.keys(rekor.Payload)).toEqual(['body', 'integratedTime', 'logIndex', 'logID']);
    expect(String(rekor.Payload.logIndex)).toBe(signed.outputs['rekor-log-index']);
    expect(rekor.Payload.logID).toBe(Buffer.from(trusted().tlogs[0].logId.keyId, 'base64').toString('hex'));
    const body = decodeBody(layer.annotations['dev.sigstore.cosign/bundle']);
    expect([body.kind, body.apiVersion]).toEqual(['hashedrekord', '0.0.1']);
    expect(body.spec.data.hash.value).toBe(sha256hex(payload));
    expect(body.spec.signature.content).toBe(layer.annotations['dev.cosignproject.cosign/signature']);
    // the certificate is the one logged; the chain ends in the instance's root
    expect(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString('utf8')).toBe(
      layer.annotations['dev.sigstore.cosign/certificate'],
    );
    const root = trusted().certificateAuthorities[0].certChain.certificates[0].rawBytes;
    expect(layer.annotations['dev.sigstore.cosign/chain'].replace(/-----[A-Z ]+-----|\s/g, '')).toBe(root);
    expect(Object.keys(JSON.parse(layer.annotations['dev.sigstore.cosign/rfc3161timestamp']))).toEqual([
      'SignedRFC3161Timestamp',
    ]);
    // one token, masked the moment it arrived, and in no log line, output or summary
    for (const token of oidc.issued) {
      expect(signed.masks).toContain(token);
      expect(visible(signed)).not.toContain(token);
    }
    expect(signed.summary).toContain(
      `cosign verify --certificate-identity '${IDENTITY}' --certificate-oidc-issuer '${ISSUER}' '${anon.host}/${repo}@${digest}'`,
    );
  });

  it('writes .att DSSE layers with the predicate type, an empty signature annotation and a dsse log entry', async () => {
    const att = await manifestJson(repo, tagOf(digest, 'att'));
    expect(att.layers.map((l: { annotations: Record<string, string> }) => l.annotations.predicateType)).toEqual([
      'https://spdx.dev/Document',
      'https://slsa.dev/provenance/v1',
    ]);
    const outputs = JSON.parse(signed.outputs.attestations as string);
    expect(outputs.map((a: { reference: string }) => a.reference)).toEqual([
      `${anon.host}/${repo}:${tagOf(digest, 'att')}`,
      `${anon.host}/${repo}:${tagOf(digest, 'att')}`,
    ]);
    for (const layer of att.layers) {
      expect(layer.mediaType).toBe(DSSE);
      expect(layer.annotations['dev.cosignproject.cosign/signature']).toBe('');
      expect(layer.annotations['dev.sigstore.cosign/certificate']).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
      expect(layer.annotations['dev.sigstore.cosign/rfc3161timestamp']).toBeDefined();
      const envelope = await blob(repo, layer.digest);
      const body = decodeBody(layer.annotations['dev.sigstore.cosign/bundle']);
      // cosign 2.x's default --rekor-entry-type, and the log hashed this very layer blob
      expect([body.kind, body.apiVersion]).toEqual(['dsse', '0.0.1']);
      expect(body.spec.envelopeHash.value).toBe(sha256hex(envelope));
      const statement = JSON.parse(Buffer.from(JSON.parse(envelope.toString('utf8')).payload, 'base64').toString());
      expect(statement.subject[0].digest.sha256).toBe(digest.slice('sha256:'.length));
    }
  });

  it('a re-run finds its own claims: nothing stacked, no new log entry', async () => {
    const sigBefore = await getManifest(anon.url, repo, tagOf(digest, 'sig'));
    const attBefore = await getManifest(anon.url, repo, tagOf(digest, 'att'));
    const logged = sigstore.requests.filter((r) => r.path === '/api/v1/log/entries').length;
    const again = await sbomSign({ image: `${anon.host}/${repo}:rc`, sbom: join(sboms, 'syft-spdx-2.3-alpine.json') });
    expect(again.errors).toEqual([]);
    expect(again.stdout).toContain(`Signature unchanged in ${anon.host}/${repo}:${tagOf(digest, 'sig')}`);
    expect(JSON.parse(again.outputs.attestations as string).map((a: { status: string }) => a.status)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    expect(again.outputs['rekor-log-index']).toBe(signed.outputs['rekor-log-index']);
    expect((await getManifest(anon.url, repo, tagOf(digest, 'sig')))?.digest).toBe(sigBefore?.digest);
    expect((await getManifest(anon.url, repo, tagOf(digest, 'att')))?.digest).toBe(attBefore?.digest);
    expect(sigstore.requests.filter((r) => r.path === '/api/v1/log/entries').length).toBe(logged);
  });

  it('promote passes for the identity and issuer, with the attestations required', async () => {
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'staging',
      ...keyless(),
      'require-attestations': 'spdx,slsa-provenance',
    });
    expect(r.errors).toEqual([]);
    const layer = (await manifestJson(repo, tagOf(digest, 'sig'))).layers[0].digest;
    expect(r.stdout).toContain(
      `Gate require-signature: passed: cosign keyless signature ${tagOf(digest, 'sig')} layer ${layer}: signature over ${digest} signed by ${IDENTITY} (${ISSUER})`,
    );
    expect(r.stdout).toContain(
      `Gate require-attestations: passed: https://spdx.dev/Document, https://slsa.dev/provenance/v1 attested for ${digest} in ${tagOf(digest, 'att')} (verified for the certificate identity)`,
    );
    expect(await listTags(anon.url, repo)).toContain('staging');
  });

  it.each([
    [
      'another identity',
      { 'certificate-identity': 'https://github.com/octo-org/octo-app/.github/workflows/other.yml@refs/heads/main' },
      /it does not verify: .*identity/i,
    ],
    [
      'another issuer',
      { 'certificate-oidc-issuer': 'https://accounts.google.com' },
      /it does not verify: .*(issuer|extension)/i,
    ],
  ])('promote refuses %s with the reason', async (_name, who, reason) => {
    const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'refused', ...keyless(), ...who });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^Promotion of ${anon.host}/${repo}:rc refused, nothing was written: require-signature: no valid signature for ${digest}: ${tagOf(digest, 'sig')} layer sha256:[0-9a-f]{64}: `,
      ),
    );
    expect(r.errors[0]).toMatch(reason);
    expect(await listTags(anon.url, repo)).not.toContain('refused');
  });

  it('upload-artifact: payload, signature, certificate, envelopes, and each layer as a bundle that verifies', async () => {
    const own = uniq('artifact');
    const ownDigest = (await pushImage(anon.url, own, { tag: 'rc' })).manifest.digest;
    const results = await startResultsFake();
    try {
      const r = await runAction('sbom-sign', {
        inputs: {
          'fulcio-url': sigstore.fulcioUrl,
          'rekor-url': sigstore.rekorUrl,
          'tsa-url': sigstore.tsaUrl,
          format: 'legacy',
          image: `${anon.host}/${own}@${ownDigest}`,
          sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
          attest: 'sbom',
          'upload-artifact': 'true',
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
      const stored = results.artifacts.find((a) => a.name === 'sbom-sign');
      const files = artifactFiles(stored!.bytes);
      expect(Object.keys(files).sort()).toEqual([
        'attestation-1-spdx.dsse.json',
        'attestation-1-spdx.sigstore.json',
        'signature.payload.json',
        'signature.pem',
        'signature.sig',
        'signature.sigstore.json',
        'syft-spdx-2.3-alpine.json',
      ]);
      const verifier = await createBundleVerifier(sigstore.trustedRoot, { identity: IDENTITY, issuer: ISSUER });
      const payload = Buffer.from(files['signature.payload.json'] as string);
      const sig = verifier.verify(JSON.parse(files['signature.sigstore.json'] as string), { artifact: payload });
      expect(JSON.parse(sig.payload.toString('utf8')).critical.image['docker-manifest-digest']).toBe(ownDigest);
      const att = verifier.verify(JSON.parse(files['attestation-1-spdx.sigstore.json'] as string), {
        timestamped: Buffer.from(files['attestation-1-spdx.dsse.json'] as string),
      });
      expect(JSON.parse(att.payload.toString('utf8')).predicateType).toBe('https://spdx.dev/Document');
      expect(files['signature.pem']).toContain('-----BEGIN CERTIFICATE-----');
    } finally {
      await results.close();
    }
  });

  itCosign('cosign 2.5 verify and verify-attestation accept it offline', async () => {
    const offline = cosignOffline(sigstore.trustedRoot, mkdtempSync(join(work, 'cosign-')));
    const who = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
    const image = `${anon.host}/${repo}@${digest}`;
    const v = await cosign(['verify'], [...who, ...offline.flags, image], offline.env);
    expect(v.stderr).toContain('Existence of the claims in the transparency log was verified offline');
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)[0].critical.image['docker-manifest-digest']).toBe(digest);
    for (const type of ['spdxjson', 'slsaprovenance1']) {
      const a = await cosign(['verify-attestation'], [...who, ...offline.flags, '--type', type, image], offline.env);
      expect(a.code, a.stderr).toBe(0);
    }
    // and cosign refuses the same signature for another identity (the check can fail)
    const other = await cosign(
      ['verify'],
      [
        '--certificate-identity',
        'https://github.com/evil/x',
        '--certificate-oidc-issuer',
        ISSUER,
        ...offline.flags,
        image,
      ],
      offline.env,
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/none of the expected identities matched/);
  });
});

describe('keyless legacy: promote refuses forged, foreign and untimed layers with the reason', () => {
  let repo: string;
  let signedDigest: string;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are JSON documents
  let sig: any;

  beforeAll(async () => {
    repo = uniq('forged');
    signedDigest = (await pushImage(anon.url, repo, { tag: 'signed' })).manifest.digest;
    const r = await sbomSign({ image: `${anon.host}/${repo}:signed`, sbom: 'none', attest: 'none' });
    if (r.code !== 0) throw new Error(`sbom-sign: ${r.errors.join('; ')}`);
    sig = await manifestJson(repo, tagOf(signedDigest, 'sig'));
  });

  async function refusal(tag: string): Promise<string> {
    const r = await promote({ source: `${anon.host}/${repo}:${tag}`, targets: `${tag}-promoted`, ...keyless() });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(await listTags(anon.url, repo)).not.toContain(`${tag}-promoted`);
    return r.errors[0] as string;
  }

  async function image(tag: string): Promise<string> {
    return (await pushImage(anon.url, repo, { tag })).manifest.digest;
  }

  it('a valid signature of another digest copied onto this one', async () => {
    const twin = await image('twin');
    await putManifest(anon.url, repo, tagOf(twin, 'sig'), sig, OCI_MANIFEST);
    expect(await refusal('twin')).toContain(`: it signs ${signedDigest}, not ${twin}`);
  });

  it('a tampered payload that carries the original signature and log entry', async () => {
    const target = await image('tampered');
    await craftTag(repo, target, 'sig', sig, ({ annotations }) => ({
      annotations,
      payload: Buffer.from(
        JSON.stringify({
          critical: {
            identity: { 'docker-reference': `${anon.host}/${repo}` },
            image: { 'docker-manifest-digest': target },
            type: 'cosign container image signature',
          },
          optional: null,
        }),
      ),
    }));
    expect(await refusal('tampered')).toMatch(/: it does not verify: digest mismatch$/);
  });

  it('a Rekor bundle whose SET does not sign its payload', async () => {
    const target = await image('bad-set');
    await craftTag(repo, target, 'sig', sig, ({ annotations, payload }) => {
      const rekor = JSON.parse(annotations['dev.sigstore.cosign/bundle'] as string);
      rekor.Payload.integratedTime += 1;
      return { annotations: { ...annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(rekor) }, payload };
    });
    expect(await refusal('bad-set')).toMatch(/: it does not verify: inclusion promise could not be verified$/);
  });

  it('a layer with neither a Rekor entry nor a timestamp', async () => {
    const target = await image('untimed');
    await craftTag(repo, target, 'sig', sig, ({ annotations, payload }) => {
      const { 'dev.sigstore.cosign/bundle': _b, 'dev.sigstore.cosign/rfc3161timestamp': _t, ...rest } = annotations;
      return { annotations: rest, payload };
    });
    expect(await refusal('untimed')).toContain(
      'it carries neither a Rekor entry nor an RFC 3161 timestamp (no trusted signing time)',
    );
  });

  it('an attestation layer with neither a Rekor entry nor a timestamp, for require-attestations', async () => {
    const source = await image('att-source');
    const r = await sbomSign({
      image: `${anon.host}/${repo}:att-source`,
      sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
      attest: 'sbom',
    });
    expect(r.errors).toEqual([]);
    const att = await manifestJson(repo, tagOf(source, 'att'));
    await craftTag(repo, source, 'att', att, ({ annotations, payload }) => {
      const { 'dev.sigstore.cosign/bundle': _b, 'dev.sigstore.cosign/rfc3161timestamp': _t, ...rest } = annotations;
      return { annotations: rest, payload };
    });
    const p = await promote({
      source: `${anon.host}/${repo}:att-source`,
      targets: 'att-promoted',
      ...keyless(),
      'require-attestations': 'spdx',
    });
    expect(p.code).toBe(1);
    expect(p.errors[0]).toMatch(
      new RegExp(
        `require-attestations: no valid attestation .* for https://spdx\\.dev/Document \\(${tagOf(source, 'att')} layer sha256:[0-9a-f]{64}: it carries neither a Rekor entry nor an RFC 3161 timestamp`,
      ),
    );
    // the signature of the same run is intact: only the attestation gate fails
    expect(p.errors[0]).not.toContain('require-signature');
  });

  it('a certificate from another Sigstore instance (another CA)', async () => {
    const foreign = await startSigstoreFake({ oidc });
    try {
      const target = await image('foreign');
      // the log entry alone times it: what fails is the certificate, not a timestamp of the other TSA
      const r = await sbomSign(
        { image: `${anon.host}/${repo}:foreign`, sbom: 'none', attest: 'none', 'tsa-url': '' },
        foreign,
      );
      expect(r.errors).toEqual([]);
      expect(r.outputs['certificate-identity']).toBe(IDENTITY);
      expect(tagOf(target, 'sig')).toBe(r.outputs.signature?.split(':').pop());
      expect(await refusal('foreign')).toMatch(/: it does not verify: Failed to verify certificate chain$/);
    } finally {
      await foreign.close();
    }
  });
});

describe('keyless legacy without a transparency log (tlog: false, a TSA instead)', () => {
  it('writes no Rekor bundle, and promote and cosign 2.5 accept the TSA timestamps, the attestation one over the envelope', async () => {
    const repo = uniq('private');
    const digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
    const logged = sigstore.requests.filter((r) => r.path === '/api/v1/log/entries').length;
    const signed = await sbomSign({
      image: `${anon.host}/${repo}:rc`,
      sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
      attest: 'sbom',
      tlog: 'false',
    });
    expect(signed.errors).toEqual([]);
    expect(signed.outputs['rekor-log-index']).toBe('');
    expect(sigstore.requests.filter((r) => r.path === '/api/v1/log/entries').length).toBe(logged);
    for (const kind of ['sig', 'att']) {
      const layer = (await manifestJson(repo, tagOf(digest, kind))).layers[0];
      expect(layer.annotations['dev.sigstore.cosign/bundle']).toBeUndefined();
      expect(layer.annotations['dev.sigstore.cosign/rfc3161timestamp']).toBeDefined();
    }
    expect(signed.summary).toContain('none (tlog off)');
    expect(signed.summary).toContain(
      `cosign verify --certificate-identity '${IDENTITY}' --certificate-oidc-issuer '${ISSUER}' --insecure-ignore-tlog=true --use-signed-timestamps --timestamp-certificate-chain tsa-chain.pem '${anon.host}/${repo}@${digest}'`,
    );

    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'staging',
      ...keyless(),
      'require-attestations': 'spdx',
    });
    expect(r.errors).toEqual([]);
    expect(r.stdout).toContain(
      `Gate require-attestations: passed: https://spdx.dev/Document attested for ${digest} in ${tagOf(digest, 'att')}`,
    );

    // the attestation's timestamp is over the envelope: moved onto the signature layer, it is refused
    const att = (await manifestJson(repo, tagOf(digest, 'att'))).layers[0];
    const sig = await manifestJson(repo, tagOf(digest, 'sig'));
    await craftTag(repo, digest, 'sig', sig, ({ annotations, payload }) => ({
      annotations: {
        ...annotations,
        'dev.sigstore.cosign/rfc3161timestamp': att.annotations['dev.sigstore.cosign/rfc3161timestamp'],
      },
      payload,
    }));
    const swapped = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'swapped', ...keyless() });
    expect(swapped.code).toBe(1);
    expect(swapped.errors[0]).toMatch(/: it does not verify: .*timestamp/i);
    await putManifest(anon.url, repo, tagOf(digest, 'sig'), sig, OCI_MANIFEST);

    if (!haveCosign) return;
    const offline = cosignOffline(sigstore.trustedRoot, mkdtempSync(join(work, 'cosign-tsa-')));
    const who = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER, '--insecure-ignore-tlog'];
    const image = `${anon.host}/${repo}@${digest}`;
    const v = await cosign(['verify'], [...who, ...offline.flags, image], offline.env);
    expect(v.code, v.stderr).toBe(0);
    const a = await cosign(
      ['verify-attestation'],
      [...who, ...offline.flags, '--type', 'spdxjson', image],
      offline.env,
    );
    expect(a.code, a.stderr).toBe(0);
  });
});

describe('keyless legacy re-run over a layer that lost its signing time', () => {
  it('signs again beside it instead of counting it as its own', async () => {
    const repo = uniq('stripped');
    const digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
    const first = await sbomSign({ image: `${anon.host}/${repo}:rc`, sbom: 'none', attest: 'none' });
    expect(first.errors).toEqual([]);
    const sig = await manifestJson(repo, tagOf(digest, 'sig'));
    await craftTag(repo, digest, 'sig', sig, ({ annotations, payload }) => {
      const { 'dev.sigstore.cosign/bundle': _b, 'dev.sigstore.cosign/rfc3161timestamp': _t, ...rest } = annotations;
      return { annotations: rest, payload };
    });
    const again = await sbomSign({ image: `${anon.host}/${repo}:rc`, sbom: 'none', attest: 'none' });
    expect(again.errors).toEqual([]);
    expect(again.stdout).toContain(`Signature added in ${anon.host}/${repo}:${tagOf(digest, 'sig')}`);
    expect((await manifestJson(repo, tagOf(digest, 'sig'))).layers).toHaveLength(2);
    const p = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'ok', ...keyless() });
    expect(p.errors).toEqual([]);
  });
});

describe('keyless legacy on a multi-platform index', () => {
  it('sign-platforms signs each platform too; a signature already on the index is kept beside ours', async () => {
    const repo = uniq('multi');
    const fx = await pushFixture(anon.url, repo, 'v2');
    const before = await manifestJson(repo, tagOf(fx.index.digest, 'sig'));
    const r = await sbomSign({
      image: `${anon.host}/${repo}:v2`,
      sbom: 'none',
      attest: 'none',
      'sign-platforms': 'true',
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.digest).toBe(fx.index.digest);
    expect(r.stdout).toContain(
      `Platform linux/arm64 ${fx.platforms.arm64.manifest.digest}: signature created in ${anon.host}/${repo}:${tagOf(fx.platforms.arm64.manifest.digest, 'sig')}`,
    );
    const index = await manifestJson(repo, tagOf(fx.index.digest, 'sig'));
    expect(index.layers.map((l: { digest: string }) => l.digest)).toEqual([
      before.layers[0].digest,
      expect.stringMatching(/^sha256:/),
    ]);
    const arm64 = fx.platforms.arm64.manifest.digest;
    const p = await promote({ source: `${anon.host}/${repo}@${arm64}`, targets: 'arm64-only', ...keyless() });
    expect(p.errors).toEqual([]);
    expect(p.stdout).toContain(`Gate require-signature: passed: cosign keyless signature ${tagOf(arm64, 'sig')} layer`);
    if (!haveCosign) return;
    const offline = cosignOffline(sigstore.trustedRoot, mkdtempSync(join(work, 'cosign-multi-')));
    for (const d of [fx.index.digest, fx.platforms.amd64.manifest.digest, arm64]) {
      const v = await cosign(
        ['verify'],
        [
          '--certificate-identity',
          IDENTITY,
          '--certificate-oidc-issuer',
          ISSUER,
          ...offline.flags,
          `${anon.host}/${repo}@${d}`,
        ],
        offline.env,
      );
      expect(v.code, `${d}: ${v.stderr}`).toBe(0);
    }
  });
});

describe('keyless legacy: promote accepts what cosign 2.5 itself signs keylessly', () => {
  itCosign('cosign sign and attest with a Fulcio certificate of the instance, then the gate passes', async () => {
    const repo = uniq('by-cosign');
    const digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
    const image = `${anon.host}/${repo}@${digest}`;
    const dir = mkdtempSync(join(work, 'cosign-sign-'));
    const offline = cosignOffline(sigstore.trustedRoot, dir);
    const target = new URL(oidc.env.ACTIONS_ID_TOKEN_REQUEST_URL);
    target.searchParams.set('audience', 'sigstore');
    const answer = await fetch(target, {
      headers: { authorization: `Bearer ${oidc.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
    });
    const token = ((await answer.json()) as { value: string }).value;
    const online = [
      '--fulcio-url',
      sigstore.fulcioUrl,
      '--rekor-url',
      sigstore.rekorUrl,
      '--identity-token',
      token,
      '-y',
    ];
    const s = await cosign(['sign'], [...online, image], offline.env);
    expect(s.code, s.stderr).toBe(0);
    const predicate = join(sboms, 'syft-spdx-2.3-alpine.json');
    const provenance = join(dir, 'provenance.json');
    writeFileSync(
      provenance,
      JSON.stringify({ buildDefinition: { buildType: 'https://example.com/build' }, runDetails: {} }),
    );
    const a = await cosign(['attest'], [...online, '--type', 'spdxjson', '--predicate', predicate, image], offline.env);
    expect(a.code, a.stderr).toBe(0);
    // what cosign wrote: a keyless simple-signing layer and a DSSE layer with a dsse log entry
    const sig = await manifestJson(repo, tagOf(digest, 'sig'));
    expect(Object.keys(sig.layers[0].annotations)).toEqual(
      expect.arrayContaining([
        'dev.sigstore.cosign/certificate',
        'dev.sigstore.cosign/chain',
        'dev.sigstore.cosign/bundle',
      ]),
    );
    // cosign's other entry type for attestations: an intoto log entry (v0.0.1 in cosign 2.5)
    const intoto = await cosign(
      ['attest'],
      [...online, '--rekor-entry-type', 'intoto', '--type', 'slsaprovenance1', '--predicate', provenance, image],
      offline.env,
    );
    expect(intoto.code, intoto.stderr).toBe(0);
    const att = await manifestJson(repo, tagOf(digest, 'att'));
    expect(
      att.layers.map(
        (l: { annotations: Record<string, string> }) => decodeBody(l.annotations['dev.sigstore.cosign/bundle']).kind,
      ),
    ).toEqual(['dsse', 'intoto']);

    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'staging',
      ...keyless(),
      'require-attestations': 'spdx',
    });
    expect(r.errors).toEqual([]);
    expect(r.stdout).toContain(
      `Gate require-signature: passed: cosign keyless signature ${tagOf(digest, 'sig')} layer ${sig.layers[0].digest}: signature over ${digest} signed by ${IDENTITY} (${ISSUER})`,
    );
    expect(r.stdout).toContain(
      `Gate require-attestations: passed: https://spdx.dev/Document attested for ${digest} in ${tagOf(digest, 'att')}`,
    );
    // @sigstore/verify checks intoto v0.0.2 bodies only: an intoto v0.0.1 entry is refused, and says so
    const intotoGate = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'intoto',
      ...keyless(),
      'require-attestations': 'slsa-provenance',
    });
    expect(intotoGate.code).toBe(1);
    expect(intotoGate.errors[0]).toMatch(
      new RegExp(
        `require-attestations: no valid attestation in bundle referrers or ${tagOf(digest, 'att')} for https://slsa\\.dev/provenance/v1 \\(${tagOf(digest, 'att')} layer ${att.layers[1].digest}: it does not verify: unsupported intoto version: 0\\.0\\.1`,
      ),
    );
    const refused = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'refused',
      ...keyless(),
      'certificate-identity': 'https://github.com/evil/x',
    });
    expect(refused.code).toBe(1);
    expect(refused.errors[0]).toMatch(/it does not verify: .*identity/i);
  });
});
