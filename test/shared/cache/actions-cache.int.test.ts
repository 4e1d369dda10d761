// The folder cache wrapper against a local fake of the v2 cache service (CreateCacheEntry,
// FinalizeCacheEntryUpload, GetCacheEntryDownloadURL and the blob calls they hand out).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionsCache, cacheServiceAvailable } from '#shared/cache/actions-cache.js';
import { type ResultsFake, startResultsFake } from '../../fakes/actions-results.js';

let fake: ResultsFake;
const saved = { ...process.env };
const logged: string[] = [];
const logger = { debug: (m: string) => logged.push(`debug ${m}`), warning: (m: string) => logged.push(`warning ${m}`) };

beforeAll(async () => {
  fake = await startResultsFake();
  // @actions/cache reads its settings from the process environment
  Object.assign(process.env, {
    ACTIONS_RUNTIME_TOKEN: fake.token,
    ACTIONS_RESULTS_URL: `${fake.url}/`,
    ACTIONS_CACHE_SERVICE_V2: 'true',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'runner-temp-')),
  });
});
afterAll(async () => {
  process.env = saved;
  await fake.close();
});

describe('actionsCache', () => {
  it('is there only when the runner offers a cache service', () => {
    expect(cacheServiceAvailable({})).toBe(false);
    expect(cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't' })).toBe(false);
    expect(
      cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_CACHE_URL: 'u' }),
    ).toBe(false);
    expect(
      cacheServiceAvailable({ ACTIONS_RUNTIME_TOKEN: 't', ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: 'u' }),
    ).toBe(true);
    expect(actionsCache(logger, {})).toBeUndefined();
  });

  it('saves a folder, finds nothing under another key, and restores it byte for byte', async () => {
    const cache = actionsCache(logger, process.env);
    expect(cache).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'cached-'));
    const db = join(dir, 'db');
    mkdirSync(db);
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
    writeFileSync(join(db, 'trivy.db'), bytes);
    writeFileSync(join(db, 'metadata.json'), '{"Version":2}');

    expect(await cache!.restore([db], 'trivy-db-sha256:1')).toBe(false);
    expect(await cache!.save([db], 'trivy-db-sha256:1')).toBe(true);
    expect(fake.caches.map((c) => c.key)).toEqual(['trivy-db-sha256:1']);
    // a second save of the same key is refused by the service, and that is no failure
    expect(await cache!.save([db], 'trivy-db-sha256:1')).toBe(false);
    expect(logged.filter((l) => l.startsWith('warning'))).toEqual([]);

    rmSync(db, { recursive: true });
    expect(await cache!.restore([db], 'trivy-db-sha256:2')).toBe(false);
    expect(await cache!.restore([db], 'trivy-db-sha256:1')).toBe(true);
    expect(readFileSync(join(db, 'trivy.db')).equals(bytes)).toBe(true);
    expect(readFileSync(join(db, 'metadata.json'), 'utf8')).toBe('{"Version":2}');
    expect(fake.calls).toContain('CreateCacheEntry');
    expect(fake.calls).toContain('FinalizeCacheEntryUpload');
    expect(fake.calls).toContain('GetCacheEntryDownloadURL');
  });
});
