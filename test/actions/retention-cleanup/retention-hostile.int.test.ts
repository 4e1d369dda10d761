// retention-cleanup against repositories and registries that lie or change under it, run as the
// runner runs the bundle, against the real distribution registry (directly, or through a
// misbehaving proxy in front of it): manifests that are their own attachments, a listed tag
// whose manifest answers 404, a tag list whose second page is missing, a tag pushed onto a
// doomed digest while the plan is made, two cleanup steps in one job, and keep-tags '*' with an
// orphaned signature. A plan that cannot be trusted deletes nothing.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { MEDIA, putManifest, sha256 } from '../../stack/helpers.js';
import { FaultProxy } from '../../shared/oci/fault-proxy.js';
import { digestTag, fetchManifest, incomplete, type ModelNode, skopeoCopyAll, tagState, World } from './world.js';

const stack = inject('stack');
const registry = stack.anonymous;
let seq = 0;
const uniq = (name: string) => `hostile-${process.pid}-${++seq}/${name}`;

function cleanup(repository: string, inputs: Record<string, string> = {}, env?: Record<string, string>) {
  return runAction('retention-cleanup', {
    inputs: { repositories: repository, provider: 'oci', ...inputs },
    eventName: 'schedule',
    timeoutMs: 90_000,
    ...(env ? { env } : {}),
  });
}

const deletedDigests = (r: { outputs: Record<string, string> }) =>
  new Set((JSON.parse(r.outputs.deleted as string) as { digest: string }[]).map((d) => d.digest));

describe('retention-cleanup (bundle) against hostile repositories and registries', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await FaultProxy.start(registry.url);
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('ends on manifests that are their own attachments, warns, and deletes by the policy', async () => {
    const world = new World(registry, uniq('cycles'), Date.now());
    const d = await world.image({ ageDays: 5.5, tag: '1.0.0' });
    await world.tag(d, `${digestTag(d.digest)}.sig`);
    const e = await world.image({ ageDays: 5.5, tag: 'pr-1' });
    // a referrers index of e that lists e itself
    const indexRaw = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: e.mediaType, digest: e.digest, size: Buffer.byteLength(e.raw) }],
    });
    await putManifest(registry, world.repo, digestTag(e.digest), indexRaw, MEDIA.ociIndex);
    // f and g tagged as each other's signature
    const f = await world.image({ ageDays: 5.5, tag: 'pr-2' });
    const g = await world.image({ ageDays: 5.5, tag: 'pr-3' });
    await world.tag(g, `${digestTag(f.digest)}.sig`);
    await world.tag(f, `${digestTag(g.digest)}.sig`);

    const r = await cleanup(world.name);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.warnings).toContain(
      `${world.name}@${d.digest} is tagged as its own attachment (${digestTag(d.digest)}.sig); that tag is ignored`,
    );
    expect(r.warnings).toContain(
      `${world.name}@${e.digest} is listed as its own referrer (in ${digestTag(e.digest)}); that entry is ignored`,
    );
    expect(deletedDigests(r)).toEqual(new Set([e.digest, sha256(indexRaw), f.digest, g.digest]));
    expect(Object.fromEntries(await tagState(registry, world.repo))).toEqual({
      '1.0.0': d.digest,
      [`${digestTag(d.digest)}.sig`]: d.digest,
    });
  });

  describe('a listed tag whose manifest answers 404', () => {
    let world: World;
    let kept: ModelNode;
    let doomed: ModelNode;
    beforeAll(async () => {
      world = new World(registry, uniq('head404'), Date.now());
      kept = await world.image({ ageDays: 5.5, tag: '1.0.0' });
      await world.tag(kept, 'pr-9');
      doomed = await world.image({ ageDays: 5.5, tag: 'pr-8' });
    });

    it('aborts the plan after one re-list when the 404 persists, and deletes nothing', async () => {
      proxy.clear();
      const before = await tagState(registry, world.repo);
      proxy.inject({
        method: 'HEAD',
        path: new RegExp(`^/v2/${world.repo}/manifests/1\\.0\\.0$`),
        times: 2,
        fault: { kind: 'status', status: 404 },
      });
      const r = await cleanup(`${proxy.host}/${world.repo}`);
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toContain(`tag '1.0.0' is listed but its manifest answers 404`);
      expect(r.errors[0]).toContain('nothing was deleted');
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
      expect(proxy.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
      expect(proxy.requests.filter((q) => q.method === 'GET' && /\/tags\/list/.test(q.path))).toHaveLength(2);
      expect(await tagState(registry, world.repo)).toEqual(before);
    });

    it('goes on when the re-list resolves the tag (a passing glitch)', async () => {
      proxy.clear();
      proxy.inject({
        method: 'HEAD',
        path: new RegExp(`^/v2/${world.repo}/manifests/1\\.0\\.0$`),
        times: 1,
        fault: { kind: 'status', status: 404 },
      });
      const r = await cleanup(`${proxy.host}/${world.repo}`);
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      expect(deletedDigests(r)).toEqual(new Set([doomed.digest]));
      expect(Object.fromEntries(await tagState(registry, world.repo))).toEqual({
        '1.0.0': kept.digest,
        'pr-9': kept.digest,
      });
    });
  });

  it('aborts when a later page of the tag list answers 404, and deletes nothing', async () => {
    const world = new World(registry, uniq('page404'), Date.now());
    const kept = await world.image({ ageDays: 5.5, tag: '1.0.0' });
    await world.tag(kept, 'pr-9');
    await world.image({ ageDays: 5.5, tag: 'pr-8' });
    const before = await tagState(registry, world.repo);
    proxy.clear();
    // the first page holds only the pr- tags and links to a second page, which is missing
    proxy.inject({
      method: 'GET',
      path: new RegExp(`^/v2/${world.repo}/tags/list\\?n=\\d+$`),
      times: 10,
      fault: {
        kind: 'rewrite-json',
        transform: (json) => ({
          ...(json as object),
          tags: ((json as { tags: string[] }).tags ?? []).filter((t) => t.startsWith('pr-')),
        }),
        headers: { link: `</v2/${world.repo}/tags/list?n=1000&last=pr-9>; rel="next"` },
      },
    });
    proxy.inject({
      method: 'GET',
      path: /\/tags\/list\?.*last=/,
      times: 10,
      // no error code in the body: a repository the registry does not know looks the same
      fault: { kind: 'status', status: 404, body: '' },
    });
    const r = await cleanup(`${proxy.host}/${world.repo}`);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain('page 2 of the tag list answered 404');
    expect(r.errors[0]).toContain('nothing was deleted');
    expect(proxy.requests.filter((q) => q.method === 'DELETE')).toEqual([]);
    expect(await tagState(registry, world.repo)).toEqual(before);
  });

  it('skips a digest that gained a tag after the plan, with everything it reaches, and reports it', async () => {
    const world = new World(registry, uniq('retagged'), Date.now());
    const amd64 = await world.image({ ageDays: 5.5, arch: 'amd64' });
    const arm64 = await world.image({ ageDays: 5.5, arch: 'arm64' });
    const pr = await world.index([amd64, arm64], { tag: 'pr-123' });
    const sig = await world.sign(pr.digest);
    const old = await world.image({ ageDays: 5.5, tag: 'pr-100' });
    await world.image({ ageDays: 1.5, tag: 'v1.0.0' });
    proxy.clear();
    // promote re-tags pr-123's digest as v5.0.0 while the plan is being made (after the listing)
    const fired = proxy.inject({
      method: 'HEAD',
      path: new RegExp(`^/v2/${world.repo}/manifests/v1\\.0\\.0$`),
      fault: { kind: 'run-before', action: () => world.tag(pr, 'v5.0.0') },
    });
    const r = await cleanup(`${proxy.host}/${world.repo}`);
    expect(fired()).toBe(1);
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(deletedDigests(r)).toEqual(new Set([old.digest]));
    expect(r.warnings).toContainEqual(
      expect.stringContaining(`${pr.digest} not deleted: it gained tag(s) v5.0.0 after the plan`),
    );
    expect(r.summary).toContain('not deleted: it gained tag(s) v5.0.0 after the plan');
    for (const node of [pr, amd64, arm64, sig]) expect(await incomplete(world, node.digest)).toEqual([]);
    expect(await skopeoCopyAll(`${world.name}:v5.0.0`)).toEqual({ code: 0, stderr: '' });
    expect(await fetchManifest(registry, world.repo, old.digest)).toBeNull();
  });

  it('gives every step of a job its own plan and restore files, never overwriting', async () => {
    const world = new World(registry, uniq('two-steps'), Date.now());
    const a = await world.image({ ageDays: 5.5, tag: 'pr-1' });
    await world.image({ ageDays: 1.5, tag: 'v1.0.0' });
    const temp = mkdtempSync(join(tmpdir(), 'retention-job-'));
    const first = await cleanup(world.name, {}, { RUNNER_TEMP: temp });
    expect(first.errors).toEqual([]);
    const second = await cleanup(world.name, { 'dry-run': 'true' }, { RUNNER_TEMP: temp });
    expect(second.errors).toEqual([]);
    expect(second.outputs['plan-file']).not.toBe(first.outputs['plan-file']);
    expect(second.outputs['restore-file']).not.toBe(first.outputs['restore-file']);
    for (const r of [first, second]) {
      expect(r.outputs['plan-file']?.startsWith(temp)).toBe(true);
      expect(r.outputs['plan-file']?.endsWith('/plan.json')).toBe(true);
      expect(r.outputs['restore-file']?.endsWith('/restore.json')).toBe(true);
    }
    const restore = JSON.parse(readFileSync(first.outputs['restore-file'] as string, 'utf8'));
    expect(restore.entries.map((x: { digest: string }) => x.digest)).toEqual([a.digest]);
    expect(JSON.parse(readFileSync(second.outputs['restore-file'] as string, 'utf8')).entries).toEqual([]);
  });

  it("leaves digest-named attachment tags to their image under keep-tags '*' (documented), untagged decides orphans", async () => {
    const world = new World(registry, uniq('keep-all'), Date.now());
    const img = await world.image({ ageDays: 5.5, tag: 'pr-1' });
    const sig = await world.sign(img.digest);
    const orphan = await world.sign(`sha256:${'ab'.repeat(32)}`);
    const dry = await cleanup(world.name, { 'keep-tags': '*', 'dry-run': 'true', untagged: 'keep' });
    expect(dry.errors).toEqual([]);
    expect(deletedDigests(dry)).toEqual(new Set());
    const r = await cleanup(world.name, { 'keep-tags': '*' });
    expect(r.errors).toEqual([]);
    expect(deletedDigests(r)).toEqual(new Set([orphan.digest]));
    const plan = JSON.parse(readFileSync(r.outputs['plan-file'] as string, 'utf8'));
    expect(plan.repositories[0].deletions[0].reason).toContain(
      'attachment tags follow the image they name, not keep-tags',
    );
    for (const node of [img, sig]) expect(await incomplete(world, node.digest)).toEqual([]);
  });

  it('stops a keep-tags regex that backtracks on a hostile tag with one clear error, deleting nothing', async () => {
    const world = new World(registry, uniq('redos'), Date.now());
    await world.image({ ageDays: 5.5, tag: `${'a'.repeat(40)}-x` });
    await world.image({ ageDays: 5.5, tag: 'pr-1' });
    const before = await tagState(registry, world.repo);
    const r = await cleanup(world.name, { 'keep-tags': '/^(a+)+$/' });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain("Input 'keep-tags': '/^(a+)+$/' took more than 200 ms on tag 'aaaa");
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
    expect(await tagState(registry, world.repo)).toEqual(before);
  });

  it('keeps an image referenced only through a symlinked file, next to a YAML alias bomb', async () => {
    const world = new World(registry, uniq('linked'), Date.now());
    const deployed = await world.image({ ageDays: 5.5, tag: 'pr-1' });
    const other = await world.image({ ageDays: 5.5, tag: 'pr-2' });
    const workspace = mkdtempSync(join(tmpdir(), 'retention-links-'));
    mkdirSync(join(workspace, 'deploy'));
    mkdirSync(join(workspace, 'envs'));
    writeFileSync(join(workspace, 'envs', 'prod.yaml'), `image: ${world.name}:pr-1\n`);
    symlinkSync('../envs/prod.yaml', join(workspace, 'deploy', 'prod.yaml'));
    symlinkSync('..', join(workspace, 'deploy', 'up'));
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 20; i++)
      bomb.push(
        `l${i}: &l${i} [${Array(10)
          .fill(i === 1 ? '*a' : `*l${i - 1}`)
          .join(', ')}]`,
      );
    writeFileSync(join(workspace, 'deploy', 'bomb.yaml'), `${bomb.join('\n')}\n`);
    const r = await runAction('retention-cleanup', {
      inputs: { repositories: world.name, provider: 'oci', 'keep-referenced-in': 'deploy/**/*.yaml' },
      workspace,
      eventName: 'schedule',
      timeoutMs: 90_000,
    });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(deletedDigests(r)).toEqual(new Set([other.digest]));
    expect(await incomplete(world, deployed.digest)).toEqual([]);
  });
});
