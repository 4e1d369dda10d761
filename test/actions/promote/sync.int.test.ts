// promote's sync mode, the bundle run the way the runner runs it, between the stack's two
// anonymous registries. The target is reached through a counting proxy, so that "nothing
// changed" can be proven as "no write and no blob transfer". skopeo, an independent client,
// confirms every mirrored digest. Also: the target's own cosign signatures survive a promotion
// (merged, not replaced), and compute-tags' floating tags move from one release to the next.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { tagEvent } from '../compute-tags/fixtures.js';
import { FaultProxy } from '../../shared/oci/fault-proxy.js';
import {
  attachCosignSignature,
  type Desc,
  type Fixture,
  getManifest,
  listTags,
  pushFixture,
  pushImage,
  putManifest,
  sha256,
} from './fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const anon2 = stack.anonymous2;
const run = promisify(execFile);
let seq = 0;
const uniq = (name: string) => `sync-${process.pid}-${++seq}/${name}`;

async function skopeoDigest(reference: string): Promise<string> {
  const { stdout } = await run(stack.skopeo, ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`], {
    encoding: 'buffer',
    maxBuffer: 16 << 20,
  });
  return sha256(stdout as unknown as Buffer);
}

function promote(inputs: Record<string, string | boolean>) {
  return runAction('promote', { inputs, eventName: 'schedule', timeoutMs: 120_000 });
}

/** Re-tags an existing manifest at the source (moves or creates a tag). */
async function tagAt(url: string, repo: string, tag: string, desc: Desc): Promise<void> {
  const m = await getManifest(url, repo, desc.digest);
  const json = JSON.parse((m as { bytes: Buffer }).bytes.toString('utf8'));
  await putManifest(url, repo, tag, json, desc.mediaType);
}

async function deleteDigest(url: string, repo: string, digest: string): Promise<void> {
  const res = await fetch(`${url}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
  if (res.status !== 202) throw new Error(`delete ${digest}: ${res.status}`);
}

const writes = (p: FaultProxy) => p.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
const blobReads = (p: FaultProxy) => p.requests.filter((r) => /\/blobs\/sha256:/.test(r.path) && r.method === 'GET');
const counts = (r: { outputs: Record<string, string> }) => JSON.parse(r.outputs.mirrored as string);
const userTags = async (url: string, repo: string) =>
  (await listTags(url, repo)).filter((t) => !t.startsWith('sha256-'));

describe('promote sync mode (bundle, two real registries)', () => {
  let proxy: FaultProxy;
  let src: string;
  let dst: string;
  let fx: Fixture;
  let v100: Desc;
  let v110: Desc;
  let v110sig: Desc;

  beforeAll(async () => {
    proxy = await FaultProxy.start(anon2.url);
    src = uniq('app');
    dst = uniq('mirror/app');
    fx = await pushFixture(anon.url, src, '2.0.0');
    v100 = (await pushImage(anon.url, src, { tag: '1.0.0', layers: 2 })).manifest;
    v110 = (await pushImage(anon.url, src, { tag: '1.1.0', layers: 2 })).manifest;
    v110sig = await attachCosignSignature(anon.url, src, v110);
    await tagAt(anon.url, src, 'latest', fx.index);
    await pushImage(anon.url, src, { tag: 'pr-7' });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  const mirror = (extra: Record<string, string | boolean> = {}) =>
    promote({ source: `${anon.host}/${src}`, targets: `${proxy.host}/${dst}`, 'sync-tags': '*\n!pr-*', ...extra });

  it('first run mirrors every selected tag with its signatures and referrers', async () => {
    const r = await mirror();
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(counts(r)).toEqual({ 'up-to-date': 0, copied: 4, moved: 0, conflicts: 0, failed: 0, deleted: 0 });
    expect(await userTags(anon2.url, dst)).toEqual(['1.0.0', '1.1.0', '2.0.0', 'latest']);
    for (const [tag, digest] of [
      ['1.0.0', v100.digest],
      ['1.1.0', v110.digest],
      ['2.0.0', fx.index.digest],
      ['latest', fx.index.digest],
      [`${v110.digest.replace(':', '-')}.sig`, v110sig.digest],
      [`${fx.index.digest.replace(':', '-')}.sig`, fx.signature.digest],
    ]) {
      expect(await skopeoDigest(`${anon2.host}/${dst}:${tag}`), tag).toBe(digest);
    }
    // The referrer of the arm64 platform, through the referrers tag schema.
    const fallback = await getManifest(anon2.url, dst, fx.platforms.arm64.manifest.digest.replace(':', '-'));
    expect(JSON.parse((fallback as { bytes: Buffer }).bytes.toString()).manifests.map((d: Desc) => d.digest)).toEqual([
      fx.referrer.digest,
    ]);
    expect(await skopeoDigest(`${anon2.host}/${dst}@${fx.referrer.digest}`)).toBe(fx.referrer.digest);
    expect(JSON.parse(r.outputs.promoted as string)).toContainEqual({
      target: `${proxy.host}/${dst}:1.0.0`,
      digest: v100.digest,
      previous: null,
      action: 'created',
    });
    expect(r.summary).toContain('0 tag(s) up to date, 4 copied');
  });

  it('a second run with nothing changed writes nothing and moves no blob', async () => {
    proxy.requests.length = 0;
    const r = await mirror();
    expect(r.errors).toEqual([]);
    expect(counts(r)).toEqual({ 'up-to-date': 4, copied: 0, moved: 0, conflicts: 0, failed: 0, deleted: 0 });
    expect(writes(proxy)).toEqual([]);
    expect(blobReads(proxy)).toEqual([]);
    expect(proxy.requests.filter((q) => q.method === 'HEAD' && /\/blobs\//.test(q.path))).toEqual([]);
    expect(JSON.parse(r.outputs.blobs as string)).toEqual({ mounted: 0, existed: 0, uploaded: 0 });
  });

  it('mirrors a moved source tag, and only that one', async () => {
    const next = await pushImage(anon.url, src, { tag: 'latest' });
    proxy.requests.length = 0;
    const r = await mirror();
    expect(r.errors).toEqual([]);
    expect(counts(r)).toEqual({ 'up-to-date': 3, copied: 0, moved: 1, conflicts: 0, failed: 0, deleted: 0 });
    expect(await skopeoDigest(`${anon2.host}/${dst}:latest`)).toBe(next.manifest.digest);
    expect(
      writes(proxy)
        .filter((q) => /\/manifests\/(?!sha256:)/.test(q.path))
        .map((q) => q.path),
    ).toEqual([`/v2/${dst}/manifests/latest`]);
  });

  it('reports a moved immutable tag as a conflict and mirrors the rest; conflict-policy fail fails after', async () => {
    const moved = await pushImage(anon.url, src, { tag: '1.0.0' });
    await pushImage(anon.url, src, { tag: '1.2.0' });
    const r = await mirror();
    expect(r.code).toBe(0);
    expect(counts(r)).toMatchObject({ copied: 1, conflicts: 1, failed: 0 });
    expect(r.warnings.join('\n')).toMatch(/1\.0\.0.*immutable/);
    expect(await skopeoDigest(`${anon2.host}/${dst}:1.0.0`)).toBe(v100.digest);
    expect(await userTags(anon2.url, dst)).toContain('1.2.0');
    expect(r.summary).toContain('CONFLICT');

    const v130 = await pushImage(anon.url, src, { tag: '1.3.0' });
    const f = await mirror({ 'conflict-policy': 'fail' });
    expect(f.code).toBe(1);
    expect(f.errors).toHaveLength(1);
    expect(f.errors[0]).toMatch(/1\.0\.0.*is immutable/);
    expect(await skopeoDigest(`${anon2.host}/${dst}:1.3.0`)).toBe(v130.manifest.digest);
    // force moves it
    const forced = await mirror({ force: true });
    expect(forced.code).toBe(0);
    expect(await skopeoDigest(`${anon2.host}/${dst}:1.0.0`)).toBe(moved.manifest.digest);
  });

  it('removes a tag deleted at the source only with sync-delete, with its signature, and nothing kept', async () => {
    await deleteDigest(anon.url, src, v110.digest);
    await deleteDigest(anon.url, src, v110sig.digest);
    const keep = await mirror();
    expect(keep.code).toBe(0);
    expect(await userTags(anon2.url, dst)).toContain('1.1.0');

    const r = await mirror({ 'sync-delete': true });
    expect(r.errors).toEqual([]);
    expect(counts(r).deleted).toBe(1);
    const left = await listTags(anon2.url, dst);
    expect(left).not.toContain('1.1.0');
    expect(left).not.toContain(`${v110.digest.replace(':', '-')}.sig`);
    expect(await getManifest(anon2.url, dst, v110sig.digest)).toBeNull();
    for (const tag of ['1.0.0', '1.2.0', '1.3.0', '2.0.0', 'latest']) {
      expect(await getManifest(anon2.url, dst, tag), tag).not.toBeNull();
    }
    expect(await skopeoDigest(`${anon2.host}/${dst}:2.0.0`)).toBe(fx.index.digest);
    expect(await skopeoDigest(`${anon2.host}/${dst}@${fx.platforms.amd64.manifest.digest}`)).toBe(
      fx.platforms.amd64.manifest.digest,
    );
  });

  it('keeps a removed tag whose image a kept tag still uses, and says why', async () => {
    // 2.0.1 at the target only, on the same index as the kept 2.0.0: the registry cannot untag.
    await tagAt(anon2.url, dst, '2.0.1', fx.index);
    const r = await mirror({ 'sync-delete': true });
    expect(r.errors).toEqual([]);
    expect(await skopeoDigest(`${anon2.host}/${dst}:2.0.0`)).toBe(fx.index.digest);
    expect(r.summary).toMatch(/Kept `2\.0\.1`: it points at the same image as the kept tag\(s\) 2\.0\.0/);
  });

  it('refuses every deletion above max-deletions', async () => {
    await pushImage(anon2.url, dst, { tag: 'old-1' });
    await pushImage(anon2.url, dst, { tag: 'old-2' });
    const r = await mirror({ 'sync-delete': true, 'max-deletions': '1' });
    expect(r.code).toBe(1);
    expect(r.errors[0]).toMatch(/more than max-deletions \(1\); nothing was deleted/);
    expect(await userTags(anon2.url, dst)).toEqual(expect.arrayContaining(['old-1', 'old-2']));
  });

  it('a fault on one tag fails only that tag', async () => {
    const a = await pushImage(anon.url, src, { tag: '3.0.0' });
    const b = await pushImage(anon.url, src, { tag: '3.1.0' });
    proxy.inject({ method: 'PUT', path: /\/manifests\/3\.0\.0$/, times: 100, fault: { kind: 'status', status: 403 } });
    try {
      const r = await mirror({ 'sync-tags': '3.*' });
      expect(r.code).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(/3\.0\.0/);
      expect(r.errors[0]).not.toMatch(/3\.1\.0/);
      expect(counts(r)).toMatchObject({ copied: 1, failed: 1 });
      expect(await skopeoDigest(`${anon2.host}/${dst}:3.1.0`)).toBe(b.manifest.digest);
      expect(await getManifest(anon2.url, dst, '3.0.0')).toBeNull();
    } finally {
      proxy.clear();
    }
    const again = await mirror({ 'sync-tags': '3.*' });
    expect(again.code).toBe(0);
    expect(await skopeoDigest(`${anon2.host}/${dst}:3.0.0`)).toBe(a.manifest.digest);
  });

  it('writes nothing in a dry run and reports what it would do', async () => {
    await pushImage(anon.url, src, { tag: '4.0.0' });
    proxy.requests.length = 0;
    const r = await mirror({ 'sync-tags': '4.*\nold-*', 'sync-delete': true, 'dry-run': true });
    expect(r.errors).toEqual([]);
    expect(counts(r)).toMatchObject({ copied: 1, deleted: 2 });
    expect(writes(proxy)).toEqual([]);
    expect(await getManifest(anon2.url, dst, '4.0.0')).toBeNull();
    expect(await userTags(anon2.url, dst)).toEqual(expect.arrayContaining(['old-1', 'old-2']));
    expect(r.summary).toContain('Mirror plan (dry run, nothing written)');
    expect(r.summary).toContain('Would delete');
  });

  it.each([
    [{ platforms: 'linux/amd64' }, /^Input 'platforms': is not supported with sync-tags/],
    [{ 'require-signature': 'true' }, /^Input 'require-signature': is not supported with sync-tags/],
    [{ 'sync-tags': '/(/' }, /^Input 'sync-tags': '\/\(\/' is not a valid regular expression/],
    [{ parallel: '0' }, /^Input 'parallel': 0 is out of range/],
    [{ 'conflict-policy': 'ignore' }, /^Input 'conflict-policy': /],
  ])('refuses %o before any request', async (extra, message) => {
    proxy.requests.length = 0;
    const r = await mirror(extra);
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
    expect(r.stdout).not.toMatch(/\n\s+at /);
    expect(proxy.requests).toEqual([]);
  });

  it('mirrors several repositories in one step from source => target lines', async () => {
    const other = uniq('worker');
    const w = await pushImage(anon.url, other, { tag: '0.1.0' });
    const dst2 = uniq('mirror/worker');
    const r = await promote({
      targets: `${anon.host}/${src} => ${anon2.host}/${dst}\n${anon.host}/${other} => ${anon2.host}/${dst2}`,
      'sync-tags': '0.*',
    });
    expect(r.errors).toEqual([]);
    expect(await skopeoDigest(`${anon2.host}/${dst2}:0.1.0`)).toBe(w.manifest.digest);
  });
});

describe('promote sync mode with credentials', () => {
  it('mirrors into a registry that needs a login, from the docker config, and never shows the password', async () => {
    const reg = stack.htpasswd;
    const { username, password } = reg.user;
    const configDir = mkdtempSync(join(tmpdir(), 'sync-docker-config-'));
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }),
    );
    const src = uniq('public');
    const image = await pushImage(anon.url, src, { tag: '1.0.0' });
    const dst = uniq('private');
    const r = await runAction('promote', {
      inputs: { source: `${anon.host}/${src}`, targets: `${reg.host}/${dst}`, 'sync-tags': '*' },
      env: { DOCKER_CONFIG: configDir },
      eventName: 'schedule',
      timeoutMs: 120_000,
    });
    expect(r.errors).toEqual([]);
    expect(counts(r)).toMatchObject({ copied: 1 });
    const shown = r.everything
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(Buffer.from(`${username}:${password}`).toString('base64'));
    const { stdout } = await run(
      stack.skopeo,
      [
        'inspect',
        '--tls-verify=false',
        '--raw',
        `--creds=${username}:${password}`,
        `docker://${reg.host}/${dst}:1.0.0`,
      ],
      { encoding: 'buffer', maxBuffer: 16 << 20 },
    );
    expect(sha256(stdout as unknown as Buffer)).toBe(image.manifest.digest);
  });
});

describe('promote keeps the target’s own cosign signatures', () => {
  it('merges the source signature into the target’s .sig instead of replacing it', async () => {
    const src = uniq('signed');
    const dst = uniq('prod');
    const fx = await pushFixture(anon.url, src, 'rc');
    // The target already holds the image with a signature of its own (a production key).
    const first = await promote({ source: `${anon.host}/${src}:rc`, targets: `${anon2.host}/${dst}:1.0.0` });
    expect(first.code).toBe(0);
    const own = await attachCosignSignature(anon2.url, dst, fx.index);
    const sigTag = `${fx.index.digest.replace(':', '-')}.sig`;
    const layersOf = async () =>
      JSON.parse(((await getManifest(anon2.url, dst, sigTag)) as { bytes: Buffer }).bytes.toString()).layers as Desc[];
    const ownLayers = await layersOf();
    expect(ownLayers).toHaveLength(1);

    const r = await promote({ source: `${anon.host}/${src}:rc`, targets: `${anon2.host}/${dst}:prod` });
    expect(r.errors).toEqual([]);
    const merged = await layersOf();
    const sourceSig = JSON.parse(((await getManifest(anon.url, src, sigTag)) as { bytes: Buffer }).bytes.toString())
      .layers as Desc[];
    expect(merged).toEqual([...ownLayers, ...sourceSig]);
    expect(r.summary).toMatch(
      /\.sig merged with the target’s own: 1 signature\(s\) of the source added to the target's 1/,
    );
    const mergedDigest = await skopeoDigest(`${anon2.host}/${dst}:${sigTag}`);
    expect(mergedDigest).not.toBe(own.digest);
    // The merged config lists one diff_id per signature layer, as cosign writes it.
    const manifest = JSON.parse(((await getManifest(anon2.url, dst, sigTag)) as { bytes: Buffer }).bytes.toString());
    const config = (await (await fetch(`${anon2.url}/v2/${dst}/blobs/${manifest.config.digest}`)).json()) as {
      rootfs: { diff_ids: string[] };
    };
    expect(config.rootfs.diff_ids).toEqual(merged.map((l) => l.digest));

    // Once merged, promoting again adds nothing.
    const again = await promote({ source: `${anon.host}/${src}:rc`, targets: `${anon2.host}/${dst}:staging` });
    expect(again.code).toBe(0);
    expect(await skopeoDigest(`${anon2.host}/${dst}:${sigTag}`)).toBe(mergedDigest);
  });
});

describe('promote with compute-tags’ floating tags as targets', () => {
  /** compute-tags' bundle on a push of `version`: its `tags` output, full references one per line. */
  async function computeTags(image: string, version: string): Promise<string> {
    const { payload, env } = tagEvent(version);
    const r = await runAction('compute-tags', {
      inputs: {
        images: image,
        tags: 'type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}',
      },
      event: payload,
      eventName: 'push',
      env,
    });
    expect(r.errors).toEqual([]);
    return r.outputs.tags as string;
  }

  it('moves 1, 1.3 and latest from one release to the next and keeps each full version', async () => {
    const repo = uniq('release');
    const image = `${anon.host}/${repo}`;
    const r1 = await pushImage(anon.url, repo, { tag: 'build-1' });
    const r2 = await pushImage(anon.url, repo, { tag: 'build-2' });

    const first = await promote({ source: `${image}:build-1`, targets: await computeTags(image, 'v1.3.0') });
    expect(first.errors).toEqual([]);
    expect(JSON.parse(first.outputs.promoted as string).map((p: { target: string }) => p.target)).toEqual(
      ['1.3.0', '1.3', '1', 'latest'].map((t) => `${image}:${t}`),
    );

    const second = await promote({ source: `${image}:build-2`, targets: await computeTags(image, 'v1.3.1') });
    expect(second.errors).toEqual([]);
    expect(
      JSON.parse(second.outputs.promoted as string).map((p: { target: string; action: string }) => [
        p.target,
        p.action,
      ]),
    ).toEqual([
      [`${image}:1.3.1`, 'created'],
      [`${image}:1.3`, 'moved'],
      [`${image}:1`, 'moved'],
      [`${image}:latest`, 'moved'],
    ]);
    for (const tag of ['1.3.1', '1.3', '1', 'latest']) {
      expect(await skopeoDigest(`${image}:${tag}`)).toBe(r2.manifest.digest);
    }
    expect(await skopeoDigest(`${image}:1.3.0`)).toBe(r1.manifest.digest);
    // The full version stays protected.
    const refused = await promote({ source: `${image}:build-2`, targets: '1.3.0' });
    expect(refused.code).toBe(1);
    expect(refused.errors[0]).toMatch(/1\.3\.0.*is immutable/);
  });
});
