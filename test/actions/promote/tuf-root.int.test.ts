// promote's keyless gate without a trusted_root.json file: the trusted root comes through TUF.
// A private Sigstore instance (@sigstore/mock's Fulcio, Rekor and TSA on 127.0.0.1) signs an
// image keylessly through sbom-sign's bundle; its trusted root is the `trusted_root.json` target
// of a real TUF repository served on 127.0.0.1 (ed25519-signed root, targets, snapshot and
// timestamp). promote's bundle, run as the runner runs it with `tuf-mirror` and `tuf-root`,
// passes the gate; a second run in the same job reads the cache and asks the mirror only for
// the next root version and the timestamp; a tampered target, an expired timestamp and a
// timestamp signed by an unknown key each make the gate refuse with the reason. With the
// default public-good mirror behind a proxy that opens no tunnel, and a guard that fails every
// non-local name lookup, the gate fails closed and names TUF and the mirror.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import { startTunnelProxy, type TunnelProxy } from '../../fakes/proxy.js';
import { type SigstoreFake, startSigstoreFake } from '../../fakes/sigstore.js';
import { startTufRepository, type TufRepository } from '../../fakes/tuf-repository.js';
import { runAction } from '../../harness/run-action.js';
import { listTags, pushImage } from './fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const WORKFLOW_REF = 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main';
const IDENTITY = `https://github.com/${WORKFLOW_REF}`;
const ISSUER = 'https://token.actions.githubusercontent.com';
const work = mkdtempSync(join(tmpdir(), 'tuf-gate-'));
const GUARD = join(import.meta.dirname, '../../harness/loopback-only.mjs');
let seq = 0;
const uniq = (name: string) => `tuf-${process.pid}-${++seq}/${name}`;

let oidc: OidcFake;
let sigstore: SigstoreFake;
let tuf: TufRepository;
let proxy: TunnelProxy;
let tufRoot: string;
let repo: string;
let digest: string;
let trustedRootBytes: Buffer;

beforeAll(async () => {
  oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_REF });
  sigstore = await startSigstoreFake({ oidc });
  tuf = await startTufRepository();
  trustedRootBytes = Buffer.from(JSON.stringify(sigstore.trustedRoot));
  tuf.publish({ 'trusted_root.json': trustedRootBytes });
  tufRoot = join(work, 'root.json');
  writeFileSync(tufRoot, tuf.rootJson);
  proxy = await startTunnelProxy();
  repo = uniq('app');
  digest = (await pushImage(anon.url, repo, { tag: 'rc' })).manifest.digest;
  const signed = await runAction('sbom-sign', {
    inputs: {
      'fulcio-url': sigstore.fulcioUrl,
      'rekor-url': sigstore.rekorUrl,
      'tsa-url': sigstore.tsaUrl,
      image: `${anon.host}/${repo}:rc`,
      sbom: 'none',
      attest: 'none',
      format: 'bundle',
    },
    env: { ...oidc.env, GITHUB_WORKFLOW_REF: WORKFLOW_REF },
    timeoutMs: 90_000,
  });
  if (signed.code !== 0) throw new Error(`sbom-sign failed: ${signed.errors.join('; ')}`);
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  await tuf?.close();
  await sigstore?.close();
  await oidc?.close();
});

function promote(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runAction('promote', {
    inputs: {
      source: `${anon.host}/${repo}:rc`,
      'certificate-identity': IDENTITY,
      'certificate-oidc-issuer': ISSUER,
      ...inputs,
    },
    env,
    eventName: 'workflow_dispatch',
    timeoutMs: 90_000,
  });
}

const refused = (reason: string) =>
  `Promotion of ${anon.host}/${repo}:rc refused, nothing was written: require-signature: the check failed: ${reason}`;

describe('promote keyless gate with the trusted root from a TUF repository (bundle)', () => {
  it('passes with tuf-mirror and tuf-root and no trusted-root file; a second run reads the cache', async () => {
    const cache = mkdtempSync(join(work, 'toolcache-'));
    const before = tuf.requests.length;
    const first = await promote(
      { targets: 'tuf-staging', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot },
      { RUNNER_TOOL_CACHE: cache },
    );
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Gate require-signature: passed: Sigstore bundle referrer sha256:');
    expect(first.stdout).toContain(`over ${digest} signed by ${IDENTITY} (${ISSUER})`);
    expect(first.stdout).toContain(`Keyless: the trusted root is the trusted_root.json of TUF repository ${tuf.url}`);
    expect(await listTags(anon.url, repo)).toContain('tuf-staging');
    expect(tuf.requests.slice(before).map((r) => r.url)).toEqual([
      '/2.root.json',
      '/timestamp.json',
      expect.stringMatching(/^\/\d+\.snapshot\.json$/),
      expect.stringMatching(/^\/\d+\.targets\.json$/),
      expect.stringMatching(/^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/),
    ]);

    const again = tuf.requests.length;
    const second = await promote(
      { targets: 'tuf-staging-2', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot },
      { RUNNER_TOOL_CACHE: cache },
    );
    expect(second.errors).toEqual([]);
    // nothing changed at the mirror: the next root version (none) and the timestamp, no more
    expect(tuf.requests.slice(again).map((r) => r.url)).toEqual(['/2.root.json', '/timestamp.json']);

    // a new snapshot is fetched, the unchanged target is not
    tuf.publish({ 'trusted_root.json': trustedRootBytes });
    const third = tuf.requests.length;
    const after = await promote(
      { targets: 'tuf-staging-3', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot },
      { RUNNER_TOOL_CACHE: cache },
    );
    expect(after.errors).toEqual([]);
    expect(tuf.requests.slice(third).map((r) => r.url)).toEqual([
      '/2.root.json',
      '/timestamp.json',
      expect.stringMatching(/^\/\d+\.snapshot\.json$/),
      expect.stringMatching(/^\/\d+\.targets\.json$/),
    ]);
  });

  it.each([
    [
      'a trusted_root.json target that is not the one the metadata signs',
      { tamperedTargets: { 'trusted_root.json': Buffer.from(JSON.stringify({ certificateAuthorities: [] })) } },
      'its trusted_root.json target is refused: Expected length {LEN} but got 29',
    ],
    ['an expired timestamp', { timestampDays: -1 }, 'its metadata is refused: Final timestamp.json is expired'],
    [
      'a timestamp signed by a key the root does not trust',
      { timestampSignedByStranger: true },
      'its metadata is refused: timestamp was signed by 0/1 keys',
    ],
  ] as const)('refuses %s, naming TUF and the mirror', async (_name, spoil, reason) => {
    tuf.publish({ 'trusted_root.json': trustedRootBytes }, spoil);
    try {
      const r = await promote({ targets: 'tuf-refused', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot });
      expect(r.code).toBe(1);
      expect(r.errors).toEqual([
        refused(`TUF repository ${tuf.url}: ${reason.replace('{LEN}', String(trustedRootBytes.length))}`),
      ]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(await listTags(anon.url, repo)).not.toContain('tuf-refused');
    } finally {
      tuf.publish({ 'trusted_root.json': trustedRootBytes });
    }
  });

  it('refuses when the mirror does not answer, even with a cache from an earlier run', async () => {
    const cache = mkdtempSync(join(work, 'toolcache-'));
    const ok = await promote(
      { targets: 'tuf-before-outage', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot },
      { RUNNER_TOOL_CACHE: cache },
    );
    expect(ok.errors).toEqual([]);
    const down = 'http://127.0.0.1:9';
    const r = await promote(
      { targets: 'tuf-outage', 'tuf-mirror': down, 'tuf-root': tufRoot },
      { RUNNER_TOOL_CACHE: cache },
    );
    expect(r.errors).toEqual([
      refused(`TUF repository ${down}: cannot download ${down}/2.root.json: connect ECONNREFUSED 127.0.0.1:9`),
    ]);
  });

  it('public-good by default: through HTTPS_PROXY, and closed when no tunnel opens; nothing leaves the machine', async () => {
    proxy.tunnels.length = 0;
    const r = await promote(
      { targets: 'public-good' },
      // the proxy has no route for the real host: 403; a direct lookup would fail in the guard
      { HTTPS_PROXY: proxy.url, NODE_OPTIONS: `--import=${GUARD}` },
    );
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      new RegExp(
        `^${refused(
          'TUF repository https://tuf-repo-cdn.sigstore.dev: cannot download https://tuf-repo-cdn.sigstore.dev/',
        ).replace(
          /[.*+?^${}()|[\]\\]/g,
          '\\$&',
        )}\\d+\\.root\\.json: the proxy refused the tunnel to tuf-repo-cdn\\.sigstore\\.dev:443 \\(HTTP 403\\)$`,
      ),
    );
    expect(proxy.tunnels).toEqual(['tuf-repo-cdn.sigstore.dev:443']);

    // without a proxy, the guard's failed lookup is the reason: still one line, still closed
    const direct = await promote({ targets: 'public-good' }, { NODE_OPTIONS: `--import=${GUARD}` });
    expect(direct.code).toBe(1);
    expect(direct.errors[0]).toMatch(
      /: cannot download https:\/\/tuf-repo-cdn\.sigstore\.dev\/\d+\.root\.json: getaddrinfo ENOTFOUND tuf-repo-cdn\.sigstore\.dev$/,
    );
    expect(await listTags(anon.url, repo)).not.toContain('public-good');
  });

  it('refuses TUF inputs it cannot use, before any request', async () => {
    const before = tuf.requests.length;
    const r = await promote({ targets: 'x', 'tuf-mirror': tuf.url });
    expect(r.errors).toEqual([
      `Input 'tuf-root': is required with tuf-mirror ${tuf.url} (the initial root.json of that TUF repository; only the public-good root is built in)`,
    ]);
    const both = await promote({ targets: 'x', 'tuf-mirror': tuf.url, 'tuf-root': tufRoot, 'trusted-root': tufRoot });
    expect(both.errors).toEqual([
      "Input 'tuf-mirror': cannot be combined with trusted-root (give the trusted_root.json file, or the TUF repository it comes from)",
    ]);
    expect(tuf.requests.length).toBe(before);
  });
});
