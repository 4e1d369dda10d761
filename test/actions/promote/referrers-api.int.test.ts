// promote with referrers that only the OCI 1.1 referrers API lists (key-signed bundles written by
// sbom-sign through the referrers proxy in front of distribution 2.8, no `sha256-<hex>` tag):
// copied to a target registry with the API they stay listed by the API, with no fallback tag;
// copied to a target without it (plain distribution) they are listed by the referrers tag schema
// there. Either way the public-key gate verifies them again at the target.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ReferrersRegistry, startReferrersRegistry } from '../../fakes/referrers-registry.js';
import { runAction } from '../../harness/run-action.js';
import { getManifest, listTags, pushImage } from './fixtures.js';

const stack = inject('stack');
const fixtures = join(import.meta.dirname, '../../fixtures/sigstore');
const KEY = readFileSync(join(fixtures, 'cosign.key'), 'utf8');
const PUB = join(fixtures, 'cosign.pub');
const PASSWORD = 'correct horse battery';
const SBOM = join(import.meta.dirname, '../../../../shared/fixtures/sbom/syft-spdx-2.3-alpine.json');
let seq = 0;
const uniq = (name: string) => `referrers-api-${process.pid}-${++seq}/${name}`;

let source: ReferrersRegistry;
let target: ReferrersRegistry;
beforeAll(async () => {
  source = await startReferrersRegistry(stack.anonymous.url);
  target = await startReferrersRegistry(stack.anonymous2.url);
});
afterAll(async () => {
  await source?.close();
  await target?.close();
});

async function apiDigests(url: string, repo: string, digest: string): Promise<string[]> {
  const res = await fetch(`${url}/v2/${repo}/referrers/${digest}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest).sort();
}

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

describe('promote: referrers listed by the referrers API', () => {
  let repo: string;
  let digest: string;
  let referrers: string[];

  beforeAll(async () => {
    repo = uniq('app');
    digest = (await pushImage(source.url, repo, { tag: 'rc' })).manifest.digest;
    const signed = await runAction('sbom-sign', {
      inputs: {
        image: `${source.host}/${repo}@${digest}`,
        key: KEY,
        'key-password': PASSWORD,
        sbom: SBOM,
        attest: 'sbom',
      },
      env: { GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main' },
      timeoutMs: 90_000,
    });
    expect(signed.errors).toEqual([]);
    referrers = await apiDigests(source.url, repo, digest);
    expect(referrers).toHaveLength(2);
    // only the API knows them
    expect(await listTags(stack.anonymous.url, repo)).toEqual(['rc']);
  }, 120_000);

  it('to a target with the API: listed by the API there, no fallback tag, and the gate passes there', async () => {
    const r = await promote({
      source: `${source.host}/${repo}@${digest}`,
      targets: `${target.host}/${repo}:prod`,
      'public-key': PUB,
    });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(await apiDigests(target.url, repo, digest)).toEqual(referrers);
    expect(await listTags(stack.anonymous2.url, repo)).toEqual(['prod']);
    const again = await promote({
      source: `${target.host}/${repo}:prod`,
      targets: `${target.host}/${repo}:verified`,
      'public-key': PUB,
      'require-attestations': 'spdx',
      'dry-run': 'true',
    });
    expect(again.errors).toEqual([]);
    expect(again.code).toBe(0);
  });

  it('to a target without the API: the referrers tag schema lists them, and the gate passes there', async () => {
    const plain = uniq('plain');
    const r = await promote({
      source: `${source.host}/${repo}@${digest}`,
      targets: `${stack.anonymous2.host}/${plain}:prod`,
      'public-key': PUB,
    });
    expect(r.errors).toEqual([]);
    const tag = digest.replace(':', '-');
    expect((await listTags(stack.anonymous2.url, plain)).sort()).toEqual(['prod', tag]);
    const index = await getManifest(stack.anonymous2.url, plain, tag);
    const listed = JSON.parse(index!.bytes.toString('utf8'))
      .manifests.map((m: { digest: string }) => m.digest)
      .sort();
    expect(listed).toEqual(referrers);
    const gate = await promote({
      source: `${stack.anonymous2.host}/${plain}:prod`,
      targets: `${stack.anonymous2.host}/${plain}:verified`,
      'public-key': PUB,
      'require-attestations': 'spdx',
      'dry-run': 'true',
    });
    expect(gate.errors).toEqual([]);
    expect(gate.code).toBe(0);
  });
});
