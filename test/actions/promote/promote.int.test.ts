// The promote bundle run the way the runner runs it, against real registries: tag to tag,
// repository to repository (mounted, no layer bytes), registry to registry, platform subsets,
// immutable tags, gates, dry run, and a registry failing mid-copy. skopeo, an independent
// client, confirms the digests at every target.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { FaultProxy } from '../../shared/oci/fault-proxy.js';
import { type Fixture, getManifest, listTags, pushFixture, pushImage, sha256 } from './fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
const anon2 = stack.anonymous2;
const run = promisify(execFile);
let seq = 0;
const uniq = (name: string) => `promote-${process.pid}-${++seq}/${name}`;

async function skopeoDigest(reference: string): Promise<string> {
  const { stdout } = await run(stack.skopeo, ['inspect', '--tls-verify=false', '--raw', `docker://${reference}`], {
    encoding: 'buffer',
    maxBuffer: 16 << 20,
  });
  return sha256(stdout as unknown as Buffer);
}

/** Access-log lines of the registry for a repository (`"METHOD /v2/<repo>/..." status`), from a byte offset on. */
function logLines(logFile: string, repo: string, from = 0): string[] {
  return readFileSync(logFile, 'utf8')
    .slice(from)
    .split('\n')
    .filter((l) => /"[A-Z]+ \/v2\//.test(l) && l.includes(` /v2/${repo}/`));
}

function promote(inputs: Record<string, string | boolean>, env?: Record<string, string>) {
  return runAction('promote', { inputs, env, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

describe('promote (bundle, real registries)', () => {
  let repo: string;
  let fx: Fixture;

  beforeAll(async () => {
    repo = uniq('app');
    fx = await pushFixture(anon.url, repo, 'rc');
  });

  it('promotes tag to tag in the same repository with a manifest PUT only', async () => {
    const before = readFileSync(anon.logFile, 'utf8').length;
    const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'staging' });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.digest).toBe(fx.index.digest);
    expect(JSON.parse(r.outputs.promoted as string)).toEqual([
      { target: `${anon.host}/${repo}:staging`, digest: fx.index.digest, previous: null, action: 'created' },
    ]);
    expect(JSON.parse(r.outputs.blobs as string)).toEqual({ mounted: 0, existed: 0, uploaded: 0 });
    expect(r.outputs['bytes-copied']).toBe('0');
    const writes = logLines(anon.logFile, repo, before).filter((l) => /"(PUT|POST|PATCH) /.test(l));
    expect(writes.map((l) => /"(\w+) ([^ ?]+)/.exec(l)?.slice(1, 3).join(' '))).toEqual([
      `PUT /v2/${repo}/manifests/staging`,
    ]);
    expect(await skopeoDigest(`${anon.host}/${repo}:staging`)).toBe(fx.index.digest);
    expect(r.summary).toContain(fx.index.digest);
    expect(r.summary).toContain('same repository');
  });

  it('promotes to another repository by mounting: no layer bytes move, everything attached follows', async () => {
    const target = uniq('prod');
    const before = readFileSync(anon.logFile, 'utf8').length;
    const r = await promote({
      source: `${anon.host}/${repo}@${fx.index.digest}`,
      targets: `${anon.host}/${target}:1.0.0`,
    });
    expect(r.errors).toEqual([]);
    const blobs = JSON.parse(r.outputs.blobs as string);
    expect(blobs.uploaded).toBe(0);
    expect(blobs.mounted + blobs.existed).toBe(8);
    expect(r.outputs['bytes-copied']).toBe('0');
    const lines = logLines(anon.logFile, target, before);
    expect(lines.filter((l) => /"(PATCH) /.test(l) || /"PUT \/v2\/[^ ]+\/blobs\/uploads\//.test(l))).toEqual([]);
    expect(lines.filter((l) => l.includes('mount=') && l.includes('" 201 ')).length).toBe(blobs.mounted);

    // Every digest is the source's, as an independent client sees it.
    expect(await skopeoDigest(`${anon.host}/${target}:1.0.0`)).toBe(fx.index.digest);
    for (const p of Object.values(fx.platforms)) {
      expect(await skopeoDigest(`${anon.host}/${target}@${p.manifest.digest}`)).toBe(p.manifest.digest);
    }
    expect(await skopeoDigest(`${anon.host}/${target}@${fx.referrer.digest}`)).toBe(fx.referrer.digest);
    const sigTag = `${fx.index.digest.replace(':', '-')}.sig`;
    expect(await skopeoDigest(`${anon.host}/${target}:${sigTag}`)).toBe(fx.signature.digest);
    const referrersIndex = await getManifest(anon.url, target, fx.platforms.arm64.manifest.digest.replace(':', '-'));
    expect(JSON.parse(referrersIndex!.bytes.toString()).manifests.map((m: { digest: string }) => m.digest)).toEqual([
      fx.referrer.digest,
    ]);
  });

  it('promotes across registries by streaming, and re-promoting the same digest is a no-op', async () => {
    const target = `${anon2.host}/${uniq('public')}`;
    const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: `${target}:1.0.0,${target}:latest` });
    expect(r.errors).toEqual([]);
    const blobs = JSON.parse(r.outputs.blobs as string);
    // Two targets in one repository: the first receives all 8 blobs, the second finds them there.
    expect(blobs).toEqual({ mounted: 0, existed: 8, uploaded: 8 });
    expect(Number(r.outputs['bytes-copied'])).toBeGreaterThanOrEqual(2 * 4096);
    expect(await skopeoDigest(`${target}:1.0.0`)).toBe(fx.index.digest);
    expect(await skopeoDigest(`${target}:latest`)).toBe(fx.index.digest);
    expect(await skopeoDigest(`${target}@${fx.platforms.amd64.manifest.digest}`)).toBe(
      fx.platforms.amd64.manifest.digest,
    );
    expect(await skopeoDigest(`${target}:${fx.index.digest.replace(':', '-')}.sig`)).toBe(fx.signature.digest);

    // the registry writes its access log after answering: wait for the first run's tag writes to
    // be there, so that none of them is counted as the second run's
    const path = target.slice(anon2.host.length + 1);
    for (let i = 0; i < 100; i++) {
      const log = readFileSync(anon2.logFile, 'utf8');
      if (['1.0.0', 'latest'].every((t) => log.includes(`"PUT /v2/${path}/manifests/${t} `))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = readFileSync(anon2.logFile, 'utf8').length;
    const again = await promote({ source: `${anon.host}/${repo}:rc`, targets: `${target}:1.0.0` });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.outputs.promoted as string)).toEqual([
      { target: `${target}:1.0.0`, digest: fx.index.digest, previous: fx.index.digest, action: 'unchanged' },
    ]);
    const writes = readFileSync(anon2.logFile, 'utf8')
      .slice(before)
      .split('\n')
      .filter((l) => /"(PUT|POST|PATCH|DELETE) /.test(l));
    expect(writes).toEqual([]);
  });

  it('refuses to move an immutable tag, and moves it with force', async () => {
    const other = await pushImage(anon.url, repo, { arch: 'amd64', tag: 'hotfix' });
    const r = await promote({ source: `${anon.host}/${repo}:hotfix`, targets: 'staging,v1.0.0' });
    expect(r.code).toBe(0);
    // v1.0.0 now exists on the hotfix image: moving it to the index is refused, staging stays put.
    const refused = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'staging,v1.0.0' });
    expect(refused.code).toBe(1);
    expect(refused.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Input 'immutable-tags': ${anon.host}/${repo}:v1\\.0\\.0 already points to ${other.manifest.digest} and tag 'v1\\.0\\.0' is immutable`,
        ),
      ),
    ]);
    expect((await getManifest(anon.url, repo, 'staging'))?.digest).toBe(other.manifest.digest);
    expect((await getManifest(anon.url, repo, 'v1.0.0'))?.digest).toBe(other.manifest.digest);

    const forced = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'v1.0.0', force: true });
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.outputs.promoted as string)[0]).toMatchObject({
      previous: other.manifest.digest,
      action: 'moved',
    });
    expect(await skopeoDigest(`${anon.host}/${repo}:v1.0.0`)).toBe(fx.index.digest);
  });

  it('writes nothing when a gate fails, and names every failed gate', async () => {
    const young = uniq('young');
    const image = await pushImage(anon.url, young, {
      tag: 'rc',
      created: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const target = uniq('gated');
    const r = await promote({
      source: `${anon.host}/${young}:rc`,
      targets: `${anon.host}/${target}:prod`,
      'require-signature': true,
      'require-tags': 'scanned',
      'require-age': '24h',
    });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(`Promotion of ${anon.host}/${young}:rc refused, nothing was written`);
    expect(r.errors[0]).toContain(
      `require-signature: no cosign signature (tag ${image.manifest.digest.replace(':', '-')}.sig)`,
    );
    expect(r.errors[0]).toContain('require-tags: ');
    expect(r.errors[0]).toContain("'scanned' does not exist");
    expect(r.errors[0]).toMatch(
      /require-age: sha256:[0-9a-f]{64} is only 1h\d*m?\d*s? old \(created .* according to the image config 'created'\); at least 1d is required/,
    );
    expect(await listTags(anon.url, target)).toEqual([]);
  });

  it('passes the gates of a signed, scanned, old enough image', async () => {
    const r0 = await promote({ source: `${anon.host}/${repo}:rc`, targets: 'scanned' });
    expect(r0.code).toBe(0);
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: 'qa',
      'require-signature': true,
      'require-tags': 'scanned',
      'require-age': '7d',
    });
    expect(r.errors).toEqual([]);
    expect(r.summary).toContain('require-signature');
    expect(r.summary).toContain('passed');
  });

  it('promotes a platform subset as a new index and says why the digest changed', async () => {
    const target = `${anon2.host}/${uniq('arm')}`;
    const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: `${target}:arm`, platforms: 'linux/arm64' });
    expect(r.errors).toEqual([]);
    expect(r.outputs.digest).not.toBe(fx.index.digest);
    const index = await getManifest(anon2.url, target.slice(anon2.host.length + 1), 'arm');
    expect(index?.digest).toBe(r.outputs.digest);
    expect(JSON.parse(index!.bytes.toString()).manifests.map((m: { digest: string }) => m.digest)).toEqual([
      fx.platforms.arm64.manifest.digest,
    ]);
    expect(await skopeoDigest(`${target}:arm`)).toBe(r.outputs.digest);
    // The per-platform referrer follows; the signature of the source index does not apply.
    expect(await skopeoDigest(`${target}@${fx.referrer.digest}`)).toBe(fx.referrer.digest);
    expect(r.summary).toContain('changed');
    expect(r.summary).toContain('linux/arm64');
  });

  it('writes nothing in a dry run', async () => {
    const target = uniq('dry');
    const r = await promote({
      source: `${anon.host}/${repo}:rc`,
      targets: `${anon.host}/${target}:x`,
      'dry-run': true,
    });
    expect(r.errors).toEqual([]);
    expect(JSON.parse(r.outputs.blobs as string)).toEqual({ mounted: 8, existed: 0, uploaded: 0 });
    expect(r.summary).toContain('dry run');
    expect(await listTags(anon.url, target)).toEqual([]);
  });

  it('pushes with the credentials of the docker config and never shows them', async () => {
    const reg = stack.htpasswd;
    const { username, password } = reg.user;
    const configDir = mkdtempSync(join(tmpdir(), 'promote-docker-config-'));
    writeFileSync(
      join(configDir, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } } }),
    );
    const target = `${reg.host}/${uniq('private')}:v2`;
    const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: target }, { DOCKER_CONFIG: configDir });
    expect(r.errors).toEqual([]);
    // The runner hides masked values; the mask commands themselves are the only place they may appear.
    const shown = r.everything
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    expect(shown).not.toContain(password);
    expect(shown).not.toContain(Buffer.from(`${username}:${password}`).toString('base64'));
    const { stdout } = await run(
      stack.skopeo,
      ['inspect', '--tls-verify=false', '--raw', `--creds=${username}:${password}`, `docker://${target}`],
      { encoding: 'buffer', maxBuffer: 16 << 20 },
    );
    expect(sha256(stdout as unknown as Buffer)).toBe(fx.index.digest);
  });

  it('leaves no target tag when the registry fails mid-copy', async () => {
    const proxy = await FaultProxy.start(anon2.url);
    try {
      const target = uniq('broken');
      proxy.inject({
        method: 'PUT',
        path: /\/manifests\/sha256:/,
        nth: 3,
        times: 100,
        fault: { kind: 'status', status: 403 },
      });
      const r = await promote({ source: `${anon.host}/${repo}:rc`, targets: `${proxy.host}/${target}:prod` });
      expect(r.code).toBe(1);
      expect(r.errors[0]).toMatch(/403|denied/i);
      expect(proxy.faulted().length).toBeGreaterThan(0);
      expect(await getManifest(anon2.url, target, 'prod')).toBeNull();
      expect((await listTags(anon2.url, target)).filter((t) => !t.startsWith('sha256-'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
