// Checks of the test stack itself: each registry's auth behaves like the real thing, the
// fixtures the helpers write are images other tools accept, the token server grants by role,
// and the Docker engine can log in to the token registry and push.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  bearerToken,
  buildTinyImage,
  countRequests,
  decodeJwt,
  docker,
  fetchToken,
  postToken,
  pushIndex,
  pushRandomImage,
  readTokenLog,
  registryFetch,
  sha256,
  skopeo,
  skopeoRaw,
  tarGz,
} from './helpers.js';

const stack = inject('stack');
const run = Date.now().toString(36);

describe('anonymous registries', () => {
  it('serves an image the helpers pushed, with the digest skopeo computes', async () => {
    const repo = `stack-check/anon-${run}`;
    const image = await pushRandomImage(stack.anonymous, repo, 'v1', { layers: 2, layerSize: 4096 });
    expect(image.layerDigests).toHaveLength(2);

    const res = await fetch(`${stack.anonymous.url}/v2/${repo}/manifests/v1`, {
      headers: { accept: image.mediaType },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(image.digest);
    expect(await res.text()).toBe(image.raw);

    const raw = await skopeoRaw(`${stack.anonymous.host}/${repo}:v1`);
    expect(sha256(raw)).toBe(image.digest);
    // three blobs (config + 2 layers), each uploaded once
    expect(countRequests(stack.anonymous.logFile, { method: 'POST', path: `/v2/${repo}/blobs/uploads/` })).toBe(3);
  });

  it('writes layers that are valid gzip tars: skopeo copies the image to the second registry', async () => {
    const repo = `stack-check/copy-${run}`;
    const image = await pushRandomImage(stack.anonymous, repo, 'v1', { format: 'oci', layers: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'stack-dir-'));
    try {
      // decompressing into a dir: checks every gzip stream and names the layers by diff id
      const out = await skopeo([
        'copy',
        '--dest-decompress',
        `docker://${stack.anonymous.host}/${repo}:v1`,
        `dir:${dir}`,
      ]);
      expect(out.code, out.stderr).toBe(0);
      const config = JSON.parse(readFileSync(join(dir, image.configDigest.slice('sha256:'.length)), 'utf8'));
      for (const diffId of config.rootfs.diff_ids as string[]) {
        expect(sha256(readFileSync(join(dir, diffId.slice('sha256:'.length))))).toBe(diffId);
      }
      const copy = await skopeo([
        'copy',
        `docker://${stack.anonymous.host}/${repo}:v1`,
        `docker://${stack.anonymous2.host}/${repo}:v1`,
      ]);
      expect(copy.code, copy.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const inspected = await skopeo(['inspect', `docker://${stack.anonymous2.host}/${repo}:v1`]);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout).Layers).toEqual(image.layerDigests);
  });

  it('builds a tar.gz whose uncompressed digest is the diff id', () => {
    const { gz, diffId } = tarGz([{ name: 'a.txt', data: 'hello' }]);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('pushes a multi-platform index that skopeo resolves per platform', async () => {
    const repo = `stack-check/index-${run}`;
    const index = await pushIndex(stack.anonymous, repo, 'multi', { format: 'oci' });
    expect(index.children.map((c) => c.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(sha256(await skopeoRaw(`${stack.anonymous.host}/${repo}:multi`))).toBe(index.digest);
    // inspect reports the index digest but the chosen platform's config and layers
    const arm = await skopeo(['--override-arch', 'arm64', 'inspect', `docker://${stack.anonymous.host}/${repo}:multi`]);
    expect(arm.code, arm.stderr).toBe(0);
    const inspected = JSON.parse(arm.stdout);
    expect(inspected.Architecture).toBe('arm64');
    expect(inspected.Layers).toEqual(index.children[1].layerDigests);
  });

  it('deletes manifests by digest', async () => {
    const repo = `stack-check/delete-${run}`;
    const image = await pushRandomImage(stack.anonymous2, repo, 'gone');
    const del = await fetch(`${stack.anonymous2.url}/v2/${repo}/manifests/${image.digest}`, { method: 'DELETE' });
    expect(del.status).toBe(202);
    const after = await fetch(`${stack.anonymous2.url}/v2/${repo}/manifests/gone`);
    expect(after.status).toBe(404);
  });
});

describe('htpasswd registry', () => {
  const { user } = stack.htpasswd;
  const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  it.each([
    ['no credentials', 401, undefined],
    ['a wrong password', 401, basic(user.username, `${user.password}x`)],
    ['an unknown user', 401, basic('nobody', user.password)],
    ['the right password', 200, basic(user.username, user.password)],
  ])('answers GET /v2/ with %s: %i', async (_name, status, authorization) => {
    const res = await fetch(`${stack.htpasswd.url}/v2/`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(status);
  });

  it('takes a push with the right credentials and serves it to skopeo', async () => {
    const repo = `stack-check/ht-${run}`;
    const image = await pushRandomImage(stack.htpasswd, repo, 'v1', { creds: user });
    expect(sha256(await skopeoRaw(`${stack.htpasswd.host}/${repo}:v1`, user))).toBe(image.digest);
    const denied = await skopeo([
      'inspect',
      '--creds',
      `${user.username}:wrong`,
      `docker://${stack.htpasswd.host}/${repo}:v1`,
    ]);
    expect(denied.code).not.toBe(0);
  });
});

describe('token registry', () => {
  const { token } = stack;

  it('grants nothing to anonymous requests', async () => {
    const r = await fetchToken(token, null, [`repository:stack-check/x:pull`]);
    expect(r.status).toBe(200);
    expect(r.access).toEqual([]);
    expect(r.refreshToken).toBeUndefined();
  });

  it('answers 401 with a JSON error for a wrong password', async () => {
    const r = await fetchToken(token, { username: token.admin.username, password: 'wrong' }, []);
    expect(r.status).toBe(401);
    expect(r.body.errors).toEqual([{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }]);
  });

  it.each([
    ['admin', 'team/app', 'pull,push,delete', ['pull', 'push', 'delete']],
    ['admin', 'team/app', '*', ['*']],
    ['reader', 'team/app', 'pull,push', ['pull']],
    ['reader', 'team/app', 'delete', []],
    ['limited', 'limited/app', 'pull,push', ['pull', 'push']],
    ['limited', 'team/app', 'pull,push', ['pull']],
  ] as const)('grants %s on %s for %s: %j', async (role, repo, actions, granted) => {
    const r = await fetchToken(token, token[role], [`repository:${repo}:${actions}`]);
    expect(r.status).toBe(200);
    expect(r.access).toEqual(granted.length ? [{ type: 'repository', name: repo, actions: [...granted] }] : []);
  });

  it('grants several scopes in one request and the catalog to admin only', async () => {
    const scopes = ['repository:a/one:pull', 'repository:limited/two:pull,push', 'registry:catalog:*'];
    const admin = await fetchToken(token, token.admin, scopes);
    expect(admin.access).toEqual([
      { type: 'repository', name: 'a/one', actions: ['pull'] },
      { type: 'repository', name: 'limited/two', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    const limited = await fetchToken(token, token.limited, scopes);
    expect(limited.access).toEqual([
      { type: 'repository', name: 'a/one', actions: ['pull'] },
      { type: 'repository', name: 'limited/two', actions: ['pull', 'push'] },
    ]);
    const catalog = await registryFetch(token, '/v2/_catalog', {}, { bearer: admin.token! });
    expect(catalog.status).toBe(200);
  });

  it('issues ES256 tokens with the certificate chain distribution verifies', async () => {
    const r = await fetchToken(token, token.reader, ['repository:a/b:pull']);
    const { header, claims } = decodeJwt(r.token!);
    expect(header.alg).toBe('ES256');
    expect(header.x5c).toHaveLength(1);
    expect(claims.aud).toBe(token.service);
    expect(claims.sub).toBe(token.reader.username);
  });

  it('lets the reader pull but refuses its blob upload', async () => {
    const repo = `stack-check/read-${run}`;
    const image = await pushRandomImage(token, repo, 'v1', { creds: token.admin });
    const pull = await registryFetch(
      token,
      `/v2/${repo}/manifests/v1`,
      {
        headers: { accept: image.mediaType },
      },
      token.reader,
    );
    expect(pull.status).toBe(200);
    expect(pull.headers.get('docker-content-digest')).toBe(image.digest);

    const bearer = await bearerToken(token, token.reader, [`repository:${repo}:pull,push`]);
    const upload = await registryFetch(token, `/v2/${repo}/blobs/uploads/`, { method: 'POST' }, { bearer });
    expect(upload.status).toBe(401);
    expect(upload.headers.get('www-authenticate')).toContain('insufficient_scope');
  });

  it('lets the limited user push under limited/ only', async () => {
    const ok = await pushRandomImage(token, `limited/push-${run}`, 'v1', { creds: token.limited });
    expect(ok.digest).toMatch(/^sha256:/);
    await expect(pushRandomImage(token, `other/push-${run}`, 'v1', { creds: token.limited })).rejects.toThrow(
      /HTTP 401/,
    );
  });

  it('lets the admin push anywhere', async () => {
    const image = await pushRandomImage(token, `anything/push-${run}`, 'v1', { creds: token.admin });
    expect(sha256(await skopeoRaw(`${token.host}/anything/push-${run}:v1`, token.admin))).toBe(image.digest);
  });

  it('exchanges a password for a refresh token and the refresh token for access tokens', async () => {
    const scope = `repository:limited/refresh-${run}:pull,push`;
    const first = await postToken(token, {
      grant_type: 'password',
      username: token.limited.username,
      password: token.limited.password,
      scope,
      access_type: 'offline',
    });
    expect(first.status).toBe(200);
    expect(first.refreshToken).toBeTruthy();
    const second = await postToken(token, { grant_type: 'refresh_token', refresh_token: first.refreshToken!, scope });
    expect(second.status).toBe(200);
    expect(second.access).toEqual([{ type: 'repository', name: `limited/refresh-${run}`, actions: ['pull', 'push'] }]);
    const wrong = await postToken(token, { grant_type: 'refresh_token', refresh_token: 'not-issued', scope });
    expect(wrong.status).toBe(401);
    const badPassword = await postToken(token, { grant_type: 'password', username: 'admin', password: 'x', scope });
    expect(badPassword.status).toBe(401);

    const offline = await fetchToken(token, token.reader, [], { offline: true });
    expect(offline.refreshToken).toBeTruthy();
  });

  it('logs every token request without secrets', async () => {
    await fetchToken(token, token.admin, [`repository:log-check/${run}:pull`]);
    const log = readTokenLog(token);
    expect(log.some((e) => e.scopes.includes(`repository:log-check/${run}:pull`) && e.user === 'admin')).toBe(true);
    const text = readFileSync(join(token.logFile, '..', 'token-server.log'), 'utf8');
    for (const u of [token.admin, token.reader, token.limited]) expect(text).not.toContain(u.password);
  });
});

describe.skipIf(!stack.docker)('docker engine', () => {
  const endpoint = stack.docker!;
  let config = '';
  beforeAll(() => {
    config = mkdtempSync(join(tmpdir(), 'stack-docker-config-'));
  });
  afterAll(() => rmSync(config, { recursive: true, force: true }));

  it('answers docker version', async () => {
    const r = await docker(endpoint, ['version', '--format', '{{.Server.Version}}']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+/);
  });

  it('pulls an image the helpers wrote (docker unpacks every layer)', async () => {
    const repo = `stack-check/pull-${run}`;
    const image = await pushRandomImage(stack.anonymous, repo, 'v1', { layers: 2 });
    const pull = await docker(endpoint, ['pull', `${stack.anonymous.host}/${repo}:v1`], { config });
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.stdout).toContain(image.digest);
    const rmi = await docker(endpoint, ['rmi', `${stack.anonymous.host}/${repo}:v1`], { config });
    expect(rmi.code, rmi.stderr).toBe(0);
  });

  it('logs in to the token registry and pushes through the refresh-token flow', async () => {
    const { token } = stack;
    const ref = `${token.host}/stack-check/docker-${run}:1`;
    await buildTinyImage(endpoint, stack.busybox, ref, { config });

    const bad = await docker(endpoint, ['login', '-u', token.admin.username, '--password-stdin', token.host], {
      config,
      input: 'wrong',
    });
    expect(bad.code).not.toBe(0);

    const login = await docker(endpoint, ['login', '-u', token.admin.username, '--password-stdin', token.host], {
      config,
      input: token.admin.password,
    });
    expect(login.code, login.stderr).toBe(0);
    // docker keeps the refresh token, not the password
    const saved = JSON.parse(readFileSync(join(config, 'config.json'), 'utf8'));
    expect(saved.auths[token.host].identitytoken).toBeTruthy();

    const push = await docker(endpoint, ['push', ref], { config });
    expect(push.code, push.stderr).toBe(0);
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    expect(digest).toBeDefined();
    expect(sha256(await skopeoRaw(ref, token.admin))).toBe(digest);

    const refreshed = readTokenLog(token).filter(
      (e) => e.method === 'POST' && e.grant === 'refresh_token' && e.status === 200 && e.user === 'admin',
    );
    expect(refreshed.some((e) => e.scopes.some((s) => s.includes(`stack-check/docker-${run}`)))).toBe(true);
  });
});
