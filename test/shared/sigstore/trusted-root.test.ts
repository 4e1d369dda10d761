// The trusted root through TUF, against a real TUF repository served on 127.0.0.1 (signed
// metadata, consistent snapshots): the target is fetched and verified, a second call reads the
// cache and asks only for what may have changed, and a tampered target, an expired timestamp, a
// timestamp signed by an unknown key or a mirror that does not answer each fail with one line
// naming TUF and the mirror.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '#shared/http/transport.js';
import { fetchTrustedRootFromTuf, PUBLIC_GOOD_TUF_MIRROR, tufCacheDir } from '#shared/sigstore/trusted-root.js';
import { startTufRepository, type TufRepository } from '../../fakes/tuf-repository.js';

const trustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};
const targetBytes = Buffer.from(JSON.stringify(trustedRoot));
const cache = () => mkdtempSync(join(tmpdir(), 'tuf-cache-'));
const noRetry = () => new Transport({ retry: { retries: 0 }, env: {} });

let repo: TufRepository;
beforeAll(async () => {
  repo = await startTufRepository();
});
afterAll(async () => {
  await repo?.close();
});

describe('fetchTrustedRootFromTuf', () => {
  it('fetches and verifies the trusted_root.json target, then reads it from the cache', async () => {
    repo.publish({ 'trusted_root.json': targetBytes });
    const cacheDir = cache();
    const before = repo.requests.length;
    const doc = await fetchTrustedRootFromTuf({ mirror: repo.url, initialRoot: repo.rootJson, cacheDir });
    expect(doc).toEqual(trustedRoot);
    expect(repo.requests.slice(before).map((r) => r.url)).toEqual([
      '/2.root.json',
      '/timestamp.json',
      '/1.snapshot.json',
      '/1.targets.json',
      expect.stringMatching(/^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/),
    ]);
    const again = repo.requests.length;
    expect(await fetchTrustedRootFromTuf({ mirror: repo.url, initialRoot: repo.rootJson, cacheDir })).toEqual(
      trustedRoot,
    );
    // only the next root version (none) and the timestamp: nothing else changed
    expect(repo.requests.slice(again).map((r) => r.url)).toEqual(['/2.root.json', '/timestamp.json']);
  });

  it.each([
    [
      'a target whose bytes differ from its metadata',
      { tamperedTargets: { 'trusted_root.json': Buffer.from('{"certificateAuthorities":[1]}') } },
      'its trusted_root.json target is refused: Expected length 150 but got 30',
    ],
    ['an expired timestamp', { timestampDays: -1 }, 'its metadata is refused: Final timestamp.json is expired'],
    [
      'a timestamp signed by a key the root does not trust',
      { timestampSignedByStranger: true },
      'its metadata is refused: timestamp was signed by 0/1 keys',
    ],
  ] as const)('refuses %s', async (_name, options, reason) => {
    repo.publish({ 'trusted_root.json': targetBytes }, options);
    const err = await fetchTrustedRootFromTuf({
      mirror: repo.url,
      initialRoot: repo.rootJson,
      cacheDir: cache(),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(`TUF repository ${repo.url}: ${reason}`);
    repo.publish({ 'trusted_root.json': targetBytes });
  });

  it('fails with the mirror named when it does not answer', async () => {
    const err = await fetchTrustedRootFromTuf({
      mirror: 'http://127.0.0.1:9',
      initialRoot: repo.rootJson,
      cacheDir: cache(),
      transport: noRetry(),
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'TUF repository http://127.0.0.1:9: cannot download http://127.0.0.1:9/2.root.json: connect ECONNREFUSED 127.0.0.1:9',
    );
  });

  it('retries a mirror that answers 503, then names the status', async () => {
    repo.publish({ 'trusted_root.json': targetBytes });
    const transport = new Transport({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2 }, env: {} });
    const fine = cache();
    const down = { status: 503, body: 'busy' };
    // one 503 is retried away
    repo.inject(down);
    expect(
      await fetchTrustedRootFromTuf({ mirror: repo.url, initialRoot: repo.rootJson, cacheDir: fine, transport }),
    ).toEqual(trustedRoot);
    // three in a row are not: the gate fails closed, even with a cache
    repo.inject(down, down, down);
    const err = await fetchTrustedRootFromTuf({
      mirror: repo.url,
      initialRoot: repo.rootJson,
      cacheDir: fine,
      transport,
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `TUF repository ${repo.url}: cannot download ${repo.url}/2.root.json: HTTP 503`,
    );
  });

  it('starts again from the initial root when the cached root.json was cut short', async () => {
    repo.publish({ 'trusted_root.json': targetBytes });
    const cacheDir = cache();
    await fetchTrustedRootFromTuf({ mirror: repo.url, initialRoot: repo.rootJson, cacheDir });
    const cached = join(tufCacheDir(cacheDir, repo.url, repo.rootJson), 'root.json');
    writeFileSync(cached, readFileSync(cached).subarray(0, 40));
    expect(await fetchTrustedRootFromTuf({ mirror: repo.url, initialRoot: repo.rootJson, cacheDir })).toEqual(
      trustedRoot,
    );
    expect(JSON.parse(readFileSync(cached, 'utf8')).signed._type).toBe('root');
  });

  it('keeps one cache folder per mirror and initial root', () => {
    expect(tufCacheDir('/c', PUBLIC_GOOD_TUF_MIRROR, undefined)).toBe('/c/tuf-repo-cdn.sigstore.dev-embedded');
    expect(tufCacheDir('/c', 'http://127.0.0.1:8080/tuf/', Buffer.from('x'))).toBe(
      '/c/127.0.0.1_8080_tuf-2d711642b726',
    );
  });
});
