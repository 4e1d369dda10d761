// The registry client against the real registries of the test stack (distribution 2.8 with
// anonymous, htpasswd and token auth); skopeo and the registries' own logs check what it did.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient, RegistryError, type RepositoryRef } from '#shared/oci/client.js';
import { type Credential, staticCredentials } from '#shared/oci/credentials.js';
import { MediaType } from '#shared/oci/media-types.js';
import { countRequests, fetchToken, pushRandomImage, readTokenLog, skopeoRaw } from '../../stack/helpers.js';

const stack = inject('stack');
const run = randomBytes(3).toString('hex');
const name = (what: string) => `core-${run}/${what}`;
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Every line the clients log and every secret they mask, to check that no secret leaks. */
const logged: string[] = [];
const masked = new Set<string>();
const clients: RegistryClient[] = [];
const errors: string[] = [];
/** Keeps a thrown error's message for the final secrets check and hands the error back. */
// biome-ignore lint/suspicious/noExplicitAny: tests read fields of whatever was thrown
const keep = (e: any): any => {
  errors.push(String(e?.message ?? e));
  return e;
};

function client(
  credentials: Record<string, Credential> = {},
  extra: { env?: NodeJS.ProcessEnv; monolithicMaxBytes?: number } = {},
): RegistryClient {
  const c = new RegistryClient({
    credentials: extra.env ? undefined : staticCredentials(credentials),
    env: extra.env,
    monolithicMaxBytes: extra.monolithicMaxBytes,
    retry: { retries: 2, minDelayMs: 10, maxDelayMs: 50 },
    logger: {
      debug: (m) => logged.push(m),
      info: (m) => logged.push(m),
      warning: (m) => logged.push(m),
    },
    maskSecret: (s) => masked.add(s),
  });
  clients.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

/** Deterministic bytes, generated in 64 KiB pieces so no test holds a big buffer. */
function patternStream(size: number, seed: string): Readable {
  let sent = 0;
  let counter = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      // each 64 KiB piece repeats a hash of its own index: cheap, and no two pieces are equal
      const piece = Buffer.alloc(
        Math.min(65536, size - sent),
        createHash('sha256').update(`${seed}:${counter++}`).digest(),
      );
      sent += piece.length;
      this.push(piece);
    },
  });
}

async function digestOfStream(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Pushes a config and a layer, returns OCI manifest bytes (deliberately not canonical JSON). */
async function pushImage(c: RegistryClient, repo: RepositoryRef, label: string): Promise<Buffer> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { label } } }));
  const layer = randomBytes(2048);
  const cfg = await c.pushBlobBytes(repo, config);
  const lay = await c.pushBlobBytes(repo, layer);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
    layers: [{ mediaType: MediaType.OciLayer, digest: lay.digest, size: lay.size }],
    annotations: { label },
  };
  return Buffer.from(`${JSON.stringify(manifest, null, 3)}\n`);
}

describe('anonymous registry', () => {
  const c = client();
  const host = stack.anonymous.host;

  it('puts, gets, heads and deletes manifests byte-exact, as skopeo sees them', async () => {
    const repo = { registry: host, repository: name('manifests') };
    const bytes = await pushImage(c, repo, 'one');
    const put = await c.putManifest(repo, 'v1', bytes, MediaType.OciManifest);
    expect(put).toEqual({ digest: sha256(bytes), subjectProcessed: false });
    expect(sha256(await skopeoRaw(`${host}/${repo.repository}@${put.digest}`))).toBe(put.digest);

    const byTag = await c.getManifest(repo, 'v1');
    expect(byTag.bytes.equals(bytes)).toBe(true);
    expect(byTag.digest).toBe(put.digest);
    expect(byTag.mediaType).toBe(MediaType.OciManifest);
    expect(byTag.json.annotations).toEqual({ label: 'one' });
    const byDigest = await c.getManifest(repo, put.digest);
    expect(byDigest.bytes.equals(bytes)).toBe(true);
    expect(await c.headManifest(repo, 'v1')).toEqual({
      mediaType: MediaType.OciManifest,
      digest: put.digest,
      size: bytes.length,
    });
    expect(await c.headManifest(repo, 'missing')).toBeNull();

    // a Docker schema 2 manifest keeps its media type
    const docker = await pushRandomImage(stack.anonymous, repo.repository, 'docker');
    const got = await c.getManifest(repo, 'docker');
    expect(got.mediaType).toBe(MediaType.DockerManifest);
    expect(got.digest).toBe(docker.digest);
    expect(got.bytes.toString()).toBe(docker.raw);

    // distribution cannot untag; deleting by digest removes the manifest and its tag
    expect(await c.deleteTag(repo, 'v1')).toBe(false);
    await c.deleteManifest(repo, put.digest);
    expect(await c.headManifest(repo, put.digest)).toBeNull();
    const err = await c.getManifest(repo, 'v1').catch(keep);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.status).toBe(404);
    expect(err.code).toBe('MANIFEST_UNKNOWN');
    expect(err.message).toBe(
      `getting manifest ${host}/${repo.repository}:v1: manifest unknown (HTTP 404 MANIFEST_UNKNOWN manifest unknown)`,
    );
    // deleting again is not an error: the manifest is gone either way
    await c.deleteManifest(repo, put.digest);
  });

  it('refuses a manifest whose bytes do not match the digest it is pushed under', async () => {
    const repo = { registry: host, repository: name('mismatch') };
    const bytes = Buffer.from('{"schemaVersion":2}');
    await expect(c.putManifest(repo, sha256('other'), bytes, MediaType.OciManifest)).rejects.toThrow(
      `the manifest bytes have digest ${sha256(bytes)}, not ${sha256('other')}`,
    );
  });

  it('streams a small and a 40 MB blob in one PUT each, and reads them back', async () => {
    const repo = { registry: host, repository: name('blobs') };
    const small = await digestOfStream(patternStream(100_000, 'small'));
    const large = await digestOfStream(patternStream(40_000_000, 'large'));
    expect(await c.headBlob(repo, small.digest)).toBeNull();

    expect(await c.pushBlob(repo, small, () => patternStream(small.size, 'small'))).toBe('uploaded');
    expect(await c.pushBlob(repo, large, () => patternStream(large.size, 'large'))).toBe('uploaded');
    expect(await c.pushBlob(repo, large, () => patternStream(large.size, 'large'))).toBe('existed');

    // per blob: one POST opening the session and one PUT carrying every byte, no PATCH
    const uploads = new RegExp(`/v2/${repo.repository}/blobs/uploads/`);
    expect(countRequests(stack.anonymous.logFile, { method: 'POST', path: uploads })).toBe(2);
    expect(countRequests(stack.anonymous.logFile, { method: 'PATCH', path: uploads })).toBe(0);
    expect(countRequests(stack.anonymous.logFile, { method: 'PUT', path: uploads })).toBe(2);
    expect(countRequests(stack.anonymous.logFile, { method: 'PUT', path: uploads, status: 201 })).toBe(2);

    expect(await c.headBlob(repo, large.digest)).toEqual({ size: 40_000_000 });
    expect(await digestOfStream(await c.getBlob(repo, large.digest))).toEqual(large);
    const bytes = await c.getBlobBytes(repo, small.digest);
    expect(sha256(bytes)).toBe(small.digest);
    await expect(c.getBlobBytes(repo, small.digest, 1000)).rejects.toThrow(/larger than the 1000 bytes accepted/);
  });

  it('sends PATCH chunks when told to, or when the size is unknown', async () => {
    const repo = { registry: host, repository: name('chunked') };
    const chunky = client({}, { monolithicMaxBytes: 1 << 20 });
    const large = await digestOfStream(patternStream(40_000_000, 'chunked'));
    expect(await chunky.pushBlob(repo, large, () => patternStream(large.size, 'chunked'))).toBe('uploaded');
    const uploads = new RegExp(`/v2/${repo.repository}/blobs/uploads/`);
    // 16 MiB + 16 MiB + the rest, then the closing PUT without a body
    expect(countRequests(stack.anonymous.logFile, { method: 'PATCH', path: uploads, status: 202 })).toBe(3);
    expect(countRequests(stack.anonymous.logFile, { method: 'PUT', path: uploads, status: 201 })).toBe(1);

    const unknown = await digestOfStream(patternStream(20_000_000, 'unknown'));
    const desc = { digest: unknown.digest, size: -1 };
    expect(await c.pushBlob(repo, desc, () => patternStream(unknown.size, 'unknown'))).toBe('uploaded');
    expect(countRequests(stack.anonymous.logFile, { method: 'PATCH', path: uploads, status: 202 })).toBe(5);
    expect(countRequests(stack.anonymous.logFile, { method: 'PUT', path: uploads, status: 201 })).toBe(2);
    expect(await c.headBlob(repo, unknown.digest)).toEqual({ size: 20_000_000 });
    expect(await digestOfStream(await c.getBlob(repo, large.digest))).toEqual(large);
  });

  it('refuses to upload content that does not match the digest it is announced with', async () => {
    const repo = { registry: host, repository: name('wrong-content') };
    const claimed = { digest: sha256('something else'), size: 5000 };
    const err = await c.pushBlob(repo, claimed, () => patternStream(5000, 'actual')).catch(keep);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toMatch(/has digest sha256:[0-9a-f]{64}, expected sha256:/);
    expect(await c.headBlob(repo, claimed.digest)).toBeNull();
  });

  it('fails the download stream when the stored content does not match its digest', async () => {
    const repo = { registry: host, repository: name('tampered') };
    const { digest } = await c.pushBlobBytes(repo, Buffer.from('original content of the blob'));
    const hex = digest.slice('sha256:'.length);
    const file = join(stack.anonymous.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    await writeFile(file, 'tampered content of the blob');
    const stream = await c.getBlob(repo, digest);
    await expect(digestOfStream(stream)).rejects.toThrow(`has digest ${sha256('tampered content of the blob')}`);
  });

  it('mounts across repositories (201) and falls back when the source does not hold the blob', async () => {
    const from = { registry: host, repository: name('mount-src') };
    const to = { registry: host, repository: name('mount-dst') };
    const blob = randomBytes(30_000);
    const { digest, size } = await c.pushBlobBytes(from, blob);
    expect(await c.mountBlob(to, digest, from)).toBe(true);
    expect(
      countRequests(stack.anonymous.logFile, {
        method: 'POST',
        path: `/v2/${to.repository}/blobs/uploads/`,
        status: 201,
      }),
    ).toBe(1);
    expect(await c.headBlob(to, digest)).toEqual({ size });

    const other = { registry: host, repository: name('mount-dst2') };
    expect(await c.pushBlob(other, { digest, size }, () => Readable.from([blob]), { mountFrom: from })).toBe('mounted');

    // the source repository does not exist: 202 and an upload session, which is cancelled
    const missing = { registry: host, repository: name('no-such-repo') };
    const fresh = await c.pushBlobBytes(from, randomBytes(1000));
    const target = { registry: host, repository: name('mount-dst3') };
    expect(await c.mountBlob(target, fresh.digest, missing)).toBe(false);
    expect(
      countRequests(stack.anonymous.logFile, {
        method: 'DELETE',
        path: new RegExp(`^/v2/${target.repository}/blobs/uploads/.+`),
      }),
    ).toBe(1);
    // pushBlob reuses that session for the upload
    const body = await c.getBlobBytes(from, fresh.digest);
    expect(await c.pushBlob(target, fresh, () => Readable.from([body]), { mountFrom: missing })).toBe('uploaded');
    expect(await c.headBlob(target, fresh.digest)).toEqual({ size: 1000 });
  });

  it('lists many tags sorted, and none for an unknown or emptied repository', async () => {
    const repo = { registry: host, repository: name('tags') };
    const bytes = await pushImage(c, repo, 'tags');
    const tags = Array.from({ length: 150 }, (_, i) => `t${String((i * 7919) % 1000).padStart(3, '0')}`);
    let digest = '';
    for (let i = 0; i < tags.length; i += 10) {
      const slice = tags.slice(i, i + 10);
      const results = await Promise.all(slice.map((t) => c.putManifest(repo, t, bytes, MediaType.OciManifest)));
      digest = results[0]!.digest;
    }
    expect(await c.listTags(repo)).toEqual([...new Set(tags)].sort());
    expect(await c.listTags({ registry: host, repository: name('never-pushed') })).toEqual([]);
    await c.deleteManifest(repo, digest);
    expect(await c.listTags(repo)).toEqual([]);
  });

  it('reports the referrers API as unsupported on distribution 2.8', async () => {
    const repo = { registry: host, repository: name('referrers') };
    expect(await c.referrersApi(repo, sha256('x'))).toBeNull();
  });
});

describe('htpasswd registry', () => {
  const { host } = stack.htpasswd;
  const { user } = stack.htpasswd;

  it('uses basic auth from explicit credentials', async () => {
    const c = client({ [host]: { username: user.username, password: user.password } });
    const repo = { registry: host, repository: name('basic') };
    const bytes = await pushImage(c, repo, 'basic');
    const { digest } = await c.putManifest(repo, 'v1', bytes, MediaType.OciManifest);
    expect(sha256(await skopeoRaw(`${host}/${repo.repository}:v1`, user))).toBe(digest);
    expect((await c.getManifest(repo, 'v1')).bytes.equals(bytes)).toBe(true);
    expect(await c.listTags(repo)).toEqual(['v1']);
    expect(masked).toContain(user.password);
  });

  it('reads credentials from the docker config (DOCKER_CONFIG)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'core-docker-config-'));
    try {
      const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [`http://${host}`]: { auth } } }));
      const c = client({}, { env: { ...process.env, DOCKER_CONFIG: dir } });
      const repo = { registry: host, repository: name('docker-config') };
      expect((await c.pushBlobBytes(repo, Buffer.from('via docker config'))).transfer).toBe('uploaded');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says the password is wrong without quoting it, and what is missing without credentials', async () => {
    const planted = `planted-${randomBytes(8).toString('hex')}`;
    const c = client({ [host]: { username: user.username, password: planted } });
    const repo = { registry: host, repository: name('wrong') };
    const err = await c.getManifest(repo, 'v1').catch(keep);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.status).toBe(401);
    expect(err.message).toContain(`authentication failed for ${host}: check the username/password`);
    expect(err.message).not.toContain(planted);
    expect(masked).toContain(planted);

    const anonymous = client();
    const err2 = await anonymous.listTags(repo).catch(keep);
    expect(err2.message).toContain(`${host} asks for a username and password and none were found`);
  });
});

describe('token registry', () => {
  const token = stack.token;
  const host = token.host;
  const creds = (u: { username: string; password: string }) => ({
    [host]: { username: u.username, password: u.password },
  });

  it('pushes, reads and deletes as admin, reusing cached tokens', async () => {
    const c = client(creds(token.admin));
    const repo = { registry: host, repository: name('admin') };
    const before = readTokenLog(token).length;
    const bytes = await pushImage(c, repo, 'admin');
    const { digest } = await c.putManifest(repo, 'v1', bytes, MediaType.OciManifest);
    for (let i = 0; i < 5; i++) expect((await c.getManifest(repo, 'v1')).digest).toBe(digest);
    expect(await c.listTags(repo)).toEqual(['v1']);
    await c.deleteManifest(repo, digest);
    expect(await c.headManifest(repo, digest)).toBeNull();
    const exchanges = readTokenLog(token)
      .slice(before)
      .filter((e) => e.scopes.some((s) => s.includes(repo.repository)));
    // pull (first HEAD), pull+push (uploads), delete: each scope set fetched once
    expect(exchanges.map((e) => e.scopes.join(' '))).toEqual([
      `repository:${repo.repository}:pull`,
      `repository:${repo.repository}:pull,push`,
      `repository:${repo.repository}:delete`,
    ]);
    await c.putManifest(repo, 'v2', bytes, MediaType.OciManifest);
    expect(sha256(await skopeoRaw(`${host}/${repo.repository}@${digest}`, token.admin))).toBe(digest);
  });

  it('mounts with one token carrying both repositories', async () => {
    const c = client(creds(token.admin));
    const from = { registry: host, repository: name('tmount-src') };
    const to = { registry: host, repository: name('tmount-dst') };
    const { digest } = await c.pushBlobBytes(from, randomBytes(4096));
    expect(await c.mountBlob(to, digest, from)).toBe(true);
    const entry = readTokenLog(token).find((e) => e.scopes.some((s) => s.includes(to.repository)));
    expect(entry?.scopes).toEqual([`repository:${to.repository}:pull,push`, `repository:${from.repository}:pull`]);
    expect(entry?.granted).toHaveLength(2);
  });

  it('refuses a push by the reader with a clear denial and no retries', async () => {
    const admin = client(creds(token.admin));
    const repo = { registry: host, repository: name('readonly') };
    const bytes = await pushImage(admin, repo, 'readonly');
    await admin.putManifest(repo, 'v1', bytes, MediaType.OciManifest);

    const reader = client(creds(token.reader));
    expect((await reader.getManifest(repo, 'v1')).bytes.equals(bytes)).toBe(true);
    const err = await reader.pushBlobBytes(repo, randomBytes(100)).catch(keep);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.status).toBe(401);
    expect(err.message).toContain(`denied: the credentials lack push permission on ${host}/${repo.repository}`);
    // the upload POST went out once with the cached pull token and once with the new token
    expect(countRequests(token.logFile, { method: 'POST', path: `/v2/${repo.repository}/blobs/uploads/` })).toBe(4);
    const err2 = await reader.putManifest(repo, 'v2', bytes, MediaType.OciManifest).catch(keep);
    expect(err2.message).toContain(
      `pushing manifest ${host}/${repo.repository}:v2: denied: the credentials lack push permission`,
    );
  });

  it('lets the limited user push only under limited/', async () => {
    const c = client(creds(token.limited));
    const mine = { registry: host, repository: `limited/${name('own')}` };
    expect((await c.pushBlobBytes(mine, randomBytes(64))).transfer).toBe('uploaded');
    const other = { registry: host, repository: name('not-limited') };
    await expect(c.pushBlobBytes(other, randomBytes(64))).rejects.toThrow(
      `denied: the credentials lack push permission on ${host}/${other.repository}`,
    );
  });

  it('exchanges an identity token by POST with grant_type=refresh_token', async () => {
    const offline = await fetchToken(token, token.admin, [], { offline: true });
    expect(offline.status).toBe(200);
    const refresh = offline.body.refresh_token as string;
    const c = client({ [host]: { identityToken: refresh } });
    const repo = { registry: host, repository: name('identity') };
    expect((await c.pushBlobBytes(repo, randomBytes(64))).transfer).toBe('uploaded');
    const entry = readTokenLog(token).find((e) => e.scopes.some((s) => s.includes(repo.repository)));
    expect(entry?.method).toBe('POST');
    expect(entry?.grant).toBe('refresh_token');
    expect(masked).toContain(refresh);
  });

  it('says a wrong password is wrong, without quoting it', async () => {
    const planted = `planted-${randomBytes(8).toString('hex')}`;
    const c = client({ [host]: { username: token.admin.username, password: planted } });
    const repo = { registry: host, repository: name('bad-password') };
    const err = await c.listTags(repo).catch(keep);
    expect(err.message).toContain(`authentication failed for ${host}: check the username/password`);
    expect(err.message).not.toContain(planted);
  });
});

describe('secrets', () => {
  it('never appear in a logged line or an error message', async () => {
    // runs last in this file: every client above has logged and masked by now
    expect(masked.size).toBeGreaterThan(3);
    expect(errors.length).toBeGreaterThan(5);
    for (const line of [...logged, ...errors]) for (const secret of masked) expect(line).not.toContain(secret);
  });
});
