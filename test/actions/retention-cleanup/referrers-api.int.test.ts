// retention-cleanup on a registry whose referrers only the OCI 1.1 referrers API lists (key-signed
// bundles written by sbom-sign through the referrers proxy in front of distribution 2.8, no
// `sha256-<hex>` tag): a kept image keeps its bundles, a deleted image's bundles are deleted with
// it, and the API stops listing them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ReferrersRegistry, startReferrersRegistry } from '../../fakes/referrers-registry.js';
import { runAction } from '../../harness/run-action.js';
import { getManifest, listTags, pushImage } from '../promote/fixtures.js';

const stack = inject('stack');
const fixtures = join(import.meta.dirname, '../../fixtures/sigstore');
const KEY = readFileSync(join(fixtures, 'cosign.key'), 'utf8');
const PASSWORD = 'correct horse battery';
const SBOM = join(import.meta.dirname, '../../../../shared/fixtures/sbom/syft-spdx-2.3-alpine.json');

let proxy: ReferrersRegistry;
beforeAll(async () => {
  proxy = await startReferrersRegistry(stack.anonymous.url);
});
afterAll(async () => proxy?.close());

async function apiDigests(repo: string, digest: string): Promise<string[]> {
  const res = await fetch(`${proxy.url}/v2/${repo}/referrers/${digest}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { manifests: { digest: string }[] }).manifests.map((m) => m.digest);
}

async function sign(repo: string, digest: string): Promise<string[]> {
  const r = await runAction('sbom-sign', {
    inputs: {
      image: `${proxy.host}/${repo}@${digest}`,
      key: KEY,
      'key-password': PASSWORD,
      sbom: SBOM,
      attest: 'sbom',
    },
    env: { GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/release.yml@refs/heads/main' },
    timeoutMs: 90_000,
  });
  expect(r.errors).toEqual([]);
  return apiDigests(repo, digest);
}

describe('retention-cleanup: referrers listed by the referrers API', () => {
  it('keeps the bundles of a kept image and deletes those of a deleted one', async () => {
    const repo = `retention-api-${process.pid}/app`;
    const kept = (await pushImage(proxy.url, repo, { tag: '1.0.0' })).manifest.digest;
    const gone = (await pushImage(proxy.url, repo, { tag: 'pr-7' })).manifest.digest;
    const keptRefs = await sign(repo, kept);
    const goneRefs = await sign(repo, gone);
    expect(keptRefs).toHaveLength(2);
    expect(goneRefs).toHaveLength(2);
    expect((await listTags(stack.anonymous.url, repo)).sort()).toEqual(['1.0.0', 'pr-7']);

    const r = await runAction('retention-cleanup', {
      inputs: { repositories: `${proxy.host}/${repo}`, provider: 'oci' },
      eventName: 'schedule',
      timeoutMs: 90_000,
    });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const deleted = JSON.parse(r.outputs.deleted as string)
      .map((d: { digest: string }) => d.digest)
      .sort();
    expect(deleted).toEqual([gone, ...goneRefs].sort());
    for (const d of [kept, ...keptRefs]) expect(await getManifest(stack.anonymous.url, repo, d), d).not.toBeNull();
    for (const d of [gone, ...goneRefs]) expect(await getManifest(stack.anonymous.url, repo, d), d).toBeNull();
    expect(await apiDigests(repo, kept)).toEqual(keptRefs);
    expect(await apiDigests(repo, gone)).toEqual([]);
  });
});
