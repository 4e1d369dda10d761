// The retention-cleanup bundle run the way the runner runs it, against the real distribution
// registry (provider oci): multi-platform indexes sharing a platform image, referrers in the
// fallback tag schema, cosign `.sig`/`.att` tags, many tags over few digests, a digest carrying a
// kept and a deletable tag, an orphan signature and an untagged manifest. skopeo, an independent
// client, checks that every kept tag still copies completely; the restore file is replayed to
// prove it can put a deleted image back. max-deletions and dry-run are checked against the
// registry's own tag listing and access log.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { countRequests, putManifest } from '../../stack/helpers.js';
import {
  digestTag,
  fetchManifest,
  incomplete,
  type ModelNode,
  type Policy,
  skopeoCopyAll,
  tagState,
  World,
} from './world.js';

const stack = inject('stack');
const registry = stack.anonymous;
let seq = 0;
const uniq = (name: string) => `retention-${process.pid}-${++seq}/${name}`;

const SEMVER = [/^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/, /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*))?$/];
const defaultPolicy: Policy = {
  inputs: {},
  keep: (t) => t === 'latest' || SEMVER.some((re) => re.test(t)),
  untagged: 'delete',
};

function cleanup(world: World, inputs: Record<string, string>) {
  return runAction('retention-cleanup', {
    inputs: { repositories: world.name, provider: 'oci', ...inputs },
    eventName: 'schedule',
    timeoutMs: 90_000,
  });
}

const deletesIn = (repo: string) =>
  countRequests(registry.logFile, { method: 'DELETE', path: new RegExp(`^/v2/${repo}/`) });

describe('retention-cleanup (bundle, real registry)', () => {
  describe('a repository with indexes, referrers, signatures and many tags', () => {
    let world: World;
    let A: ModelNode;
    let B: ModelNode;
    let aAmd64: ModelNode;
    let shared: ModelNode;
    let bAmd64: ModelNode;
    let L: ModelNode;
    let C: ModelNode;
    let D: ModelNode;
    let dangling: ModelNode;
    let movedOn: ModelNode;
    const builds: ModelNode[] = [];
    const att: Record<string, ModelNode> = {};
    let aRefs: { referrers: ModelNode[]; index: ModelNode };
    let bRefs: { referrers: ModelNode[]; index: ModelNode };
    let result: Awaited<ReturnType<typeof cleanup>>;

    beforeAll(async () => {
      world = new World(registry, uniq('app'), Date.now());
      aAmd64 = await world.image({ ageDays: 40.5, arch: 'amd64', sharedBase: true });
      shared = await world.image({ ageDays: 40.5, arch: 'arm64', sharedBase: true });
      A = await world.index([aAmd64, shared], { tag: '1.0.0' });
      att.A = await world.sign(A.digest);
      aRefs = await world.refer(aAmd64, 2);
      bAmd64 = await world.image({ ageDays: 35.5, arch: 'amd64', sharedBase: true, oci: true });
      B = await world.index([bAmd64, shared], { tag: 'pr-1' });
      att.B = await world.sign(B.digest);
      bRefs = await world.refer(bAmd64, 1);
      L = await world.image({ ageDays: 1.5, tag: 'latest', oci: false });
      att.L = await world.sign(L.digest);
      C = await world.image({ ageDays: 50.5, tag: 'pr-2' });
      att.C = await world.sign(C.digest);
      att.Catt = await world.sign(C.digest, 'att');
      D = await world.image({ ageDays: 60.5, tag: 'pr-3' });
      await world.tag(D, '1.1.0');
      for (let i = 0; i < 6; i++) {
        const img = await world.image({ ageDays: 20.5 + i, sharedBase: i % 2 === 0, oci: i % 3 !== 0 });
        for (let j = 1; j <= 5; j++) await world.tag(img, `build-${i * 5 + j}`);
        builds.push(img);
      }
      att.orphan = await world.sign(`sha256:${randomBytes(32).toString('hex')}`);
      dangling = await world.image({ ageDays: 90.5 });
      // its tag moved on, but it is still in the registry (deployed by digest, say), signed
      movedOn = await world.image({ ageDays: 70.5 });
      att.movedOn = await world.sign(movedOn.digest);
      result = await cleanup(world, {});
    }, 120_000);

    it('deletes exactly what the default policy allows', () => {
      expect(result.errors).toEqual([]);
      expect(result.code).toBe(0);
      const deleted = JSON.parse(result.outputs.deleted as string) as { digest: string; tags: string[] }[];
      const expected = [
        B,
        bAmd64,
        att.B,
        bRefs.index,
        ...bRefs.referrers,
        C,
        att.C,
        att.Catt,
        ...builds,
        att.orphan,
        // untagged: delete takes an untagged image together with its signature, never one alone
        movedOn,
        att.movedOn,
      ].map((n) => n?.digest);
      expect(new Set(deleted.map((d) => d.digest))).toEqual(new Set(expected));
      expect(deleted).toHaveLength(expected.length);
      // the independent oracle agrees with the hand-written list
      expect(world.expectedDeletions(defaultPolicy, world.now)).toEqual(new Set(expected));
      expect(deleted.find((d) => d.digest === builds[0]?.digest)?.tags).toEqual([
        'build-1',
        'build-2',
        'build-3',
        'build-4',
        'build-5',
      ]);
      expect(Number(result.outputs['reclaimed-bytes'])).toBeGreaterThan(0);
    });

    it('leaves only the kept tags, each still copying completely with skopeo', async () => {
      const after = await tagState(registry, world.repo);
      expect(Object.fromEntries(after)).toEqual({
        '1.0.0': A.digest,
        '1.1.0': D.digest,
        latest: L.digest,
        // distribution cannot remove one tag of a digest; deleting the digest would take 1.1.0 too
        'pr-3': D.digest,
        [`${digestTag(A.digest)}.sig`]: att.A?.digest,
        [`${digestTag(L.digest)}.sig`]: att.L?.digest,
        [digestTag(aAmd64.digest)]: aRefs.index.digest,
      });
      for (const tag of ['1.0.0', '1.1.0', 'latest', 'pr-3']) {
        const copy = await skopeoCopyAll(`${world.name}:${tag}`);
        expect(copy, tag).toEqual({ code: 0, stderr: '' });
      }
    });

    it('keeps platform children (shared ones too), signatures and referrers of kept images', async () => {
      for (const node of [A, aAmd64, shared, att.A, att.L, aRefs.index, ...aRefs.referrers, L, D, dangling]) {
        expect(await incomplete(world, node?.digest as string), node?.kind).toEqual([]);
      }
    });

    it('deletes the signatures, attestations and referrers of deleted images with them', async () => {
      for (const node of [
        B,
        bAmd64,
        att.B,
        bRefs.index,
        ...bRefs.referrers,
        C,
        att.C,
        att.Catt,
        att.orphan,
        movedOn,
        att.movedOn,
      ]) {
        expect(await fetchManifest(registry, world.repo, node?.digest as string), node?.kind).toBeNull();
      }
    });

    it('says in the summary why a deletable tag stays on a kept digest', () => {
      // in the decisions table and in the list under it, never "removed" when the registry refused
      expect(result.summary).toContain("tag 'pr-3' stays: the registry cannot remove a tag alone");
      expect(result.summary).toContain('<li>tag <code>pr-3</code> stays on');
      expect(result.summary).toContain('distribution answers 400 to DELETE by tag');
      expect(result.summary).not.toContain("tag 'pr-3' removed");
      expect(result.summary).toContain('without <code>--delete-untagged</code>');
    });

    it('writes a plan and a restore file that puts a deleted index back', async () => {
      const plan = JSON.parse(readFileSync(result.outputs['plan-file'] as string, 'utf8'));
      expect(plan.repositories[0].deletions.map((d: { digest: string }) => d.digest)).toContain(B.digest);
      const restore = JSON.parse(readFileSync(result.outputs['restore-file'] as string, 'utf8')) as {
        entries: { repository: string; digest: string; mediaType: string; tags: string[]; manifest: string }[];
      };
      // replay the entries of pr-1 in file order (children before their index), as a user would
      const wanted = new Set([bAmd64.digest, B.digest]);
      const entries = restore.entries.filter((e) => wanted.has(e.digest));
      expect(entries.map((e) => e.digest)).toEqual([bAmd64.digest, B.digest]);
      for (const e of entries) {
        expect(e.repository).toBe(world.name);
        const raw = Buffer.from(e.manifest, 'base64').toString('utf8');
        await putManifest(registry, world.repo, e.digest, raw, e.mediaType);
        for (const tag of e.tags) await putManifest(registry, world.repo, tag, raw, e.mediaType);
      }
      expect(await skopeoCopyAll(`${world.name}:pr-1`)).toEqual({ code: 0, stderr: '' });
    });
  });

  it('keeps what the deployment files reference, by tag or by digest, with its signature', async () => {
    const world = new World(registry, uniq('deployed'), Date.now());
    const [a, b, c] = [
      await world.image({ ageDays: 3.5, tag: 'pr-1' }),
      await world.image({ ageDays: 2.5, tag: 'pr-2' }),
      await world.image({ ageDays: 1.5, tag: 'pr-3' }),
    ] as [ModelNode, ModelNode, ModelNode];
    const sigs = [await world.sign(a.digest), await world.sign(b.digest), await world.sign(c.digest)];
    const workspace = mkdtempSync(join(tmpdir(), 'retention-ws-'));
    mkdirSync(join(workspace, 'deploy'));
    writeFileSync(
      join(workspace, 'deploy', 'app.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: app}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers:',
        '        - name: app',
        `          image: ${world.name}:pr-2`,
        '        - name: sidecar',
        `          image: ${world.name}@${c.digest}`,
        '',
      ].join('\n'),
    );
    const r = await runAction('retention-cleanup', {
      inputs: { repositories: world.name, provider: 'oci', 'keep-referenced-in': 'deploy/**/*.yaml' },
      workspace,
      eventName: 'schedule',
    });
    rmSync(workspace, { recursive: true, force: true });
    expect(r.errors).toEqual([]);
    const deleted = JSON.parse(r.outputs.deleted as string) as { digest: string }[];
    expect(new Set(deleted.map((d) => d.digest))).toEqual(new Set([a.digest, sigs[0]?.digest]));
    expect(JSON.parse(r.outputs.kept as string)).toEqual({
      count: 2,
      reasons: {
        "tag '…' is referenced in the deployment files": 1,
        'digest is referenced in the deployment files': 1,
      },
    });
    const after = await tagState(registry, world.repo);
    expect([...after.keys()].filter((t) => t.startsWith('pr-')).sort()).toEqual(['pr-2', 'pr-3']);
    for (const node of [b, c, sigs[1], sigs[2]]) expect(await incomplete(world, node?.digest as string)).toEqual([]);
  });

  describe('max-deletions and dry-run', () => {
    let world: World;
    let before: Map<string, string>;

    beforeAll(async () => {
      world = new World(registry, uniq('guarded'), Date.now());
      for (let i = 1; i <= 5; i++) {
        const img = await world.image({ ageDays: i + 0.5, tag: `pr-${i}` });
        await world.sign(img.digest);
      }
      await world.image({ ageDays: 0.5, tag: 'v2.0.0' });
      before = await tagState(registry, world.repo);
    });

    it('refuses a plan above max-deletions before deleting anything', async () => {
      const r = await cleanup(world, { 'max-deletions': '9' });
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        /^Input 'max-deletions': the plan deletes 10 manifest\(s\) and tag\(s\), more than 9; nothing was deleted/,
      );
      expect(r.errors[0]).not.toContain('\n');
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
      expect(deletesIn(world.repo)).toBe(0);
      expect(await tagState(registry, world.repo)).toEqual(before);
      expect(await skopeoCopyAll(`${world.name}:pr-1`)).toEqual({ code: 0, stderr: '' });
      // the plan is still there to review
      const plan = JSON.parse(readFileSync(r.outputs['plan-file'] as string, 'utf8'));
      expect(plan.repositories[0].deletions).toHaveLength(10);
      expect(r.summary).toContain('Nothing was deleted');
    });

    it('deletes nothing in a dry run but writes the plan, the restore file and the outputs', async () => {
      const r = await cleanup(world, { 'dry-run': 'true' });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      const deleted = JSON.parse(r.outputs.deleted as string) as { digest: string; tags: string[] }[];
      expect(deleted).toHaveLength(10);
      expect(
        deleted
          .flatMap((d) => d.tags)
          .filter((t) => t.startsWith('pr-'))
          .sort(),
      ).toEqual(['pr-1', 'pr-2', 'pr-3', 'pr-4', 'pr-5']);
      expect(JSON.parse(r.outputs.kept as string).count).toBe(1);
      const plan = JSON.parse(readFileSync(r.outputs['plan-file'] as string, 'utf8'));
      expect(plan.policy.dryRun).toBe(true);
      expect(plan.repositories[0].deletions).toHaveLength(10);
      const restore = JSON.parse(readFileSync(r.outputs['restore-file'] as string, 'utf8'));
      expect(restore.entries).toHaveLength(10);
      expect(r.summary).toContain('dry run');
      expect(r.warnings.join('\n')).not.toContain('max-deletions');
      expect(deletesIn(world.repo)).toBe(0);
      expect(await tagState(registry, world.repo)).toEqual(before);
    });

    it('reports the whole plan of a dry run above max-deletions, with a warning, and deletes nothing', async () => {
      const r = await cleanup(world, { 'dry-run': 'true', 'max-deletions': '9' });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.warnings).toContainEqual(
        expect.stringMatching(/deletes 10 manifest\(s\) and tag\(s\), more than max-deletions \(9\)/),
      );
      expect(JSON.parse(r.outputs.deleted as string)).toHaveLength(10);
      expect(r.summary).toContain('Over max-deletions (9)');
      expect(deletesIn(world.repo)).toBe(0);
      expect(await tagState(registry, world.repo)).toEqual(before);
    });
  });
});
