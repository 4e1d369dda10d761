import { afterEach, describe, expect, it } from 'vitest';
import { GitHubClient, parseLinkHeader } from '#shared/github/client.js';
import { type FakeServer, json, startFake } from '../../fakes/server.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function client(url: string, waits: number[]) {
  return new GitHubClient({
    baseUrl: url,
    token: 'secret-token-123',
    sleep: async (ms) => void waits.push(ms),
    minDelayMs: 10,
  });
}

describe('parseLinkHeader', () => {
  it('resolves next/last, relative ones too', () => {
    expect(parseLinkHeader('</x?page=2>; rel="next", <http://h/x?page=5>; rel="last"', 'http://h/x')).toEqual({
      next: 'http://h/x?page=2',
      last: 'http://h/x?page=5',
    });
  });
});

describe('GitHubClient', () => {
  it('follows Link next across pages', async () => {
    server = await startFake((req) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? 1);
      const headers: Record<string, string> =
        page < 3 ? { link: `</items?page=${page + 1}&per_page=2>; rel="next"` } : {};
      return json(200, [page * 10, page * 10 + 1], headers);
    });
    const waits: number[] = [];
    expect(await client(server.url, waits).paginate<number>('/items', { perPage: 2 })).toEqual([
      10, 11, 20, 21, 30, 31,
    ]);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer secret-token-123');
  });

  it('waits Retry-After on a secondary rate limit, then succeeds', async () => {
    server = await startFake(() => json(200, { ok: true }));
    server.inject(
      json(
        403,
        { message: 'You have exceeded a secondary rate limit.', documentation_url: 'https://docs' },
        { 'retry-after': '7' },
      ),
    );
    const waits: number[] = [];
    const res = await client(server.url, waits).request<{ ok: boolean }>('GET', '/x');
    expect(res.data).toEqual({ ok: true });
    expect(waits).toEqual([7000]);
  });

  it('waits for x-ratelimit-reset when the primary limit is used up', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    server = await startFake(() => json(200, {}));
    server.inject(
      json(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
    );
    const waits: number[] = [];
    await client(server.url, waits).request('GET', '/x');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(25_000);
    expect(waits[0]).toBeLessThanOrEqual(32_000);
  });

  it('gives up when the reset is further away than it may wait', async () => {
    const reset = Math.floor(Date.now() / 1000) + 7200;
    server = await startFake(() =>
      json(
        429,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
    );
    await expect(client(server.url, []).request('GET', '/x')).rejects.toThrow(
      /HTTP 429: API rate limit exceeded; the limit resets in \d+ s/,
    );
  });

  it('retries 5xx, and reports GitHub message and docs on failure without the token', async () => {
    server = await startFake(() =>
      json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }),
    );
    server.inject({ status: 502 }, { status: 503 });
    const waits: number[] = [];
    const err = await client(server.url, waits)
      .request('GET', '/orgs/acme')
      .catch((e: Error) => e);
    expect(String(err)).toContain('GitHub API GET /orgs/acme: HTTP 404: Not Found (see https://docs.github.com/rest)');
    expect(String(err)).not.toContain('secret-token-123');
    expect(waits).toEqual([10, 20]);
  });

  it('returns allowed statuses and never follows links to another host', async () => {
    server = await startFake(() => json(200, [1], { link: '<http://127.0.0.2:1/steal>; rel="next"' }));
    const c = client(server.url, []);
    await expect(c.paginate('/items')).rejects.toThrow(/refusing to send the token to http:\/\/127.0.0.2:1/);
  });
});
