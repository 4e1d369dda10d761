import { afterEach, describe, expect, it } from 'vitest';
import { GitHubClient } from '#shared/github/client.js';
import type { RepositoryRef } from '#shared/oci/client.js';
import { cosignTag } from '#shared/oci/referrers.js';
import { compileTagPatterns } from '#shared/policy/tag-patterns.js';
import { DockerHubApi } from '../../../actions/retention-cleanup/src/dockerhub.js';
import { DEFAULT_KEEP_TAGS } from '../../../actions/retention-cleanup/src/inputs.js';
import { planRepository, type RetentionPolicy } from '../../../actions/retention-cleanup/src/plan.js';
import { DockerHubProvider, GhcrProvider, OciProvider } from '../../../actions/retention-cleanup/src/providers.js';
import { restoreFile, sweep } from '../../../actions/retention-cleanup/src/sweep.js';
import { startDockerHubFake } from '../../fakes/dockerhub-api.js';
import { startGhcrFake } from '../../fakes/ghcr-api.js';
import type { FakeServer } from '../../fakes/server.js';
import { Registry } from './memory-world.js';

const repo: RepositoryRef = { registry: 'registry.test', repository: 'acme/api' };
const noRefs = { tags: new Map<string, string>(), digests: new Map<string, string>() };
const keepDefault = () => compileTagPatterns(DEFAULT_KEEP_TAGS, 'keep-tags');
const NOW = Date.parse('2026-03-01T00:00:00Z');

function world() {
  const r = new Registry();
  const a1 = r.image('2026-01-01T00:00:00Z', 'a-amd64');
  const shared = r.image('2026-01-01T00:00:00Z', 'shared-arm64');
  const i1 = r.index([a1, shared], '1.0.0');
  const s1 = r.signature(i1.digest);
  const b1 = r.image('2026-01-02T00:00:00Z', 'b-amd64');
  const i2 = r.index([b1, shared], 'pr-1');
  r.tagMap.set('pr-1b', i2.digest);
  const s2 = r.signature(i2.digest);
  const m3 = r.image('2026-01-03T00:00:00Z', 'm3', 'pr-2');
  r.tagMap.set('dev', m3.digest);
  const orphan = r.signature(`sha256:${'d'.repeat(64)}`);
  return { r, a1, shared, i1, s1, b1, i2, s2, m3, orphan };
}

describe('planRepository', () => {
  it('deletes the unkept image with its children and signature, never what a kept image reaches', async () => {
    const w = world();
    const policy: RetentionPolicy = {
      keep: keepDefault(),
      delete: compileTagPatterns(['pr-*'], 'delete-tags'),
      untagged: 'delete',
    };
    const plan = await planRepository(new OciProvider(w.r), repo, { policy, referenced: noRefs, now: NOW });
    const doomed = new Set(plan.deletions.map((d) => d.digest));
    expect(doomed).toEqual(new Set([w.i2.digest, w.b1.digest, w.s2.digest, w.orphan.digest]));
    const order = plan.deletions.map((d) => d.digest);
    expect(order.indexOf(w.i2.digest)).toBeLessThan(order.indexOf(w.b1.digest));
    expect(order.indexOf(w.i2.digest)).toBeLessThan(order.indexOf(w.s2.digest));
    // m3 carries a kept tag (dev does not match delete-tags) and a deletable one
    const m3 = plan.roots.find((x) => x.digest === w.m3.digest);
    expect(m3).toMatchObject({ decision: 'keep', reason: "tag 'dev' does not match delete-tags", untag: ['pr-2'] });
    expect(plan.roots.find((x) => x.digest === w.orphan.digest)?.reason).toMatch(
      /which is no longer in the repository/,
    );
    // each manifest fetched once; listTags once; configs only when ages are needed (not here)
    for (const d of [w.i1, w.i2, w.shared, w.s1]) expect(w.r.count('getManifest', d.digest)).toBe(1);
    expect(w.r.count('listTags')).toBe(1);
    expect(w.r.count('getBlobBytes')).toBe(0);
    expect(plan.reclaimableBytes).toBeGreaterThan(0);
  });

  it('keep-last and older-than use the config created times', async () => {
    const w = world();
    const policy: RetentionPolicy = {
      keep: keepDefault(),
      untagged: 'keep',
      keepLast: 1,
      olderThanMs: 40 * 86_400_000,
    };
    const plan = await planRepository(new OciProvider(w.r), repo, { policy, referenced: noRefs, now: NOW });
    const byDigest = new Map(plan.roots.map((r) => [r.digest, r]));
    expect(byDigest.get(w.m3.digest)?.reason).toBe("tag 'dev' is among the 1 most recent (keep-last)");
    expect(byDigest.get(w.i2.digest)?.decision).toBe('delete');
    expect(byDigest.get(w.i2.digest)?.reason).toContain("tag 'pr-1' is 58d old, older than 40d");
    expect(byDigest.get(w.orphan.digest)?.decision).toBe('keep');
  });

  it('keeps what the deployment files reference, by tag or by platform digest', async () => {
    const w = world();
    const policy: RetentionPolicy = { keep: compileTagPatterns([], 'keep-tags'), untagged: 'delete' };
    const referenced = {
      tags: new Map([['pr-1', 'deploy/app.yaml:3']]),
      digests: new Map([[w.a1.digest, 'deploy/pin.yaml:9']]),
    };
    const plan = await planRepository(new OciProvider(w.r), repo, { policy, referenced, now: NOW });
    const doomed = new Set(plan.deletions.map((d) => d.digest));
    expect(doomed.has(w.i2.digest)).toBe(false);
    expect(doomed.has(w.a1.digest)).toBe(false);
    expect(doomed.has(w.i1.digest)).toBe(true); // 1.0.0 is not kept without keep-tags
    expect(plan.roots.find((r) => r.digest === w.i2.digest)?.reason).toBe(
      "tag 'pr-1' is referenced in deploy/app.yaml:3",
    );
  });

  it.each([
    ['delete', {}, 'delete', 'untagged and not referenced by anything kept'],
    ['keep', {}, 'keep', 'untagged, and untagged is keep'],
    ['delete', { olderThanMs: 90 * 86_400_000 }, 'keep', 'untagged, younger than older-than 90d'],
  ] as const)(
    'an untagged image found through its signature tag is a root with it (untagged %s %j)',
    async (untagged, extra, decision, reason) => {
      const w = world();
      // its tag moved on; it is still in the registry, and signed
      const moved = w.r.image('2026-01-05T00:00:00Z', 'moved-on');
      const sig = w.r.signature(moved.digest);
      const policy: RetentionPolicy = { keep: keepDefault(), untagged, ...extra };
      const plan = await planRepository(new OciProvider(w.r), repo, { policy, referenced: noRefs, now: NOW });
      const root = plan.roots.find((r) => r.digest === moved.digest);
      expect(root).toMatchObject({ tags: [], decision, reason });
      // its age comes from its config when older-than needs it
      expect(root?.created).toBe('olderThanMs' in extra ? '2026-01-05T00:00:00.000Z' : undefined);
      const doomed = new Set(plan.deletions.map((d) => d.digest));
      // the image and its signature stay or go together
      expect([doomed.has(moved.digest), doomed.has(sig.digest)]).toEqual(
        decision === 'delete' ? [true, true] : [false, false],
      );
      expect(plan.roots.some((r) => r.digest === sig.digest)).toBe(false);
    },
  );

  it('sweeps in order, writes a restore file, and a second run finds nothing to do', async () => {
    const w = world();
    const policy: RetentionPolicy = {
      keep: keepDefault(),
      delete: compileTagPatterns(['pr-*'], 'delete-tags'),
      untagged: 'delete',
    };
    const provider = new OciProvider(w.r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    const restore = restoreFile([plan], new Date(NOW));
    expect(restore.entries.at(-2)?.digest).not.toBe(w.b1.digest);
    const i2 = restore.entries.find((e) => e.digest === w.i2.digest);
    expect(Buffer.from(i2?.manifest ?? '', 'base64')).toEqual(w.r.manifests.get(w.i2.digest)?.bytes);
    expect(i2?.tags).toEqual(['pr-1', 'pr-1b']);
    const result = await sweep(provider, repo, plan);
    expect(w.r.deletedDigests).toEqual(plan.deletions.map((d) => d.digest));
    expect(result.stuck).toEqual([
      { tag: 'pr-2', digest: w.m3.digest, why: expect.stringContaining('distribution answers 400') },
    ]);
    for (const d of [w.i1, w.a1, w.shared, w.s1, w.m3]) expect(w.r.manifests.has(d.digest)).toBe(true);
    const again = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    expect(again.deletions).toEqual([]);
  });
});

describe('GitHub Packages through the fake API', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => fake?.close());

  it('lists versions over pages, deletes version ids, and treats a denied 404 as a permission problem', async () => {
    const w = world();
    const tagsOf = (d: string) => [...w.r.tagMap].filter(([, x]) => x === d).map(([t]) => t);
    const versions = [...w.r.manifests.keys()].map((digest, i) => ({
      id: 100 + i,
      name: digest,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      tags: tagsOf(digest),
    }));
    // an untagged leftover nothing points at
    const stray = w.r.image('2025-01-01T00:00:00Z', 'stray');
    versions.push({
      id: 999,
      name: stray.digest,
      created_at: '2025-01-01T00:00:00Z',
      updated_at: '2025-01-01T00:00:00Z',
      tags: [],
    });
    for (let i = 0; i < 150; i++) {
      const d = w.r.image('2025-06-01T00:00:00Z', `old-${i}`);
      versions.push({
        id: 2000 + i,
        name: d.digest,
        created_at: '2025-06-01T00:00:00Z',
        updated_at: '2025-06-01T00:00:00Z',
        tags: [`pr-old-${i}`],
      });
    }
    const ghcr = await startGhcrFake({
      owners: { acme: 'Organization' },
      packages: { 'acme/api': versions },
      token: 'ghs_fake',
    });
    fake = ghcr;
    const github = new GitHubClient({ baseUrl: ghcr.url, token: 'ghs_fake', sleep: async () => {} });
    const provider = new GhcrProvider(w.r, github);
    const policy: RetentionPolicy = {
      keep: keepDefault(),
      delete: compileTagPatterns(['pr-*'], 'delete-tags'),
      untagged: 'delete',
    };
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    const pages = ghcr.requests.filter((r) => r.url.includes('/orgs/acme/packages/container/api/versions')).length;
    expect(pages).toBe(2);
    expect(plan.roots.find((r) => r.digest === w.m3.digest)?.stuck[0]?.why).toMatch(
      /GitHub Packages cannot remove one tag/,
    );
    expect(plan.roots.find((r) => r.digest === stray.digest)).toMatchObject({ decision: 'delete', tags: [] });
    const result = await sweep(provider, repo, plan);
    expect(result.deleted).toHaveLength(plan.deletions.length);
    expect(new Set(ghcr.deleted.map((d) => d.id))).toEqual(new Set(plan.deletions.map((d) => d.versionId)));
    expect(ghcr.deleted.map((d) => d.id)).toContain(999);

    const denied = await startGhcrFake({
      owners: { acme: 'User' },
      packages: { 'acme/api': versions },
      token: 't',
      deleteDenied: true,
    });
    fake = denied;
    await ghcr.close();
    const p2 = new GhcrProvider(w.r, new GitHubClient({ baseUrl: denied.url, token: 't' }));
    await expect(p2.deleteManifest(repo, { ...plan.deletions[0]!, versionId: versions[0]!.id })).rejects.toThrow(
      /404 to DELETE but the version is still listed: the token may read the package but not delete it/,
    );
  });
});

describe('Docker Hub through the fake API', () => {
  let fake: FakeServer | undefined;
  afterEach(async () => fake?.close());

  it('lists tags over pages with tag_last_pushed ages and deletes tags', async () => {
    const w = world();
    const tags = [...w.r.tagMap].map(([name, digest]) => ({
      name,
      digest,
      tag_last_pushed: name.startsWith('pr-') ? '2025-01-01T00:00:00Z' : '2026-02-28T00:00:00Z',
    }));
    const hub = await startDockerHubFake({
      username: 'acme',
      password: 'dckr_pat_x',
      repositories: { 'acme/api': tags },
      onlyAuthToken: true,
    });
    fake = hub;
    const api = new DockerHubApi({ baseUrl: hub.url, username: 'acme', password: 'dckr_pat_x', sleep: async () => {} });
    const provider = new DockerHubProvider(w.r, api);
    hub.inject({ status: 429, headers: { 'retry-after': '1' }, body: '{"message":"Too Many Requests"}' });
    const policy: RetentionPolicy = { keep: keepDefault(), untagged: 'delete', olderThanMs: 30 * 86_400_000 };
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    expect(plan.roots.find((r) => r.digest === w.m3.digest)).toMatchObject({ decision: 'keep', untag: ['pr-2'] });
    const result = await sweep(provider, repo, plan);
    expect(result.untagged).toEqual([{ tag: 'pr-2', digest: w.m3.digest }]);
    expect(hub.deletedTags.sort()).toEqual(
      ['pr-1', 'pr-1b', 'pr-2', cosignTag(w.i2.digest, 'sig'), cosignTag(`sha256:${'d'.repeat(64)}`, 'sig')].sort(),
    );
    expect(result.skipped.map((s) => s.digest)).toEqual([w.b1.digest]);
  });
});
