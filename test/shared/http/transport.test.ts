import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  isRetryableNetworkError,
  isRetryableStatus,
  parseLinkNext,
  parseRetryAfter,
  proxyFor,
  RetryableStatusError,
  Transport,
} from '#shared/http/transport.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    ['1', 1000],
    [' 120 ', 120_000],
    ['1.5', 1500],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sunday, 01-Mar-26 12:01:00 GMT', 60_000],
    ['Sun Mar  1 12:00:05 2026', 5000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
  ])('%j → %s ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('parseLinkNext', () => {
  const base = 'https://r.example/v2/a/b/tags/list?n=100';
  it.each([
    [undefined, undefined],
    ['</v2/a/b/tags/list?n=100&last=x>; rel="next"', 'https://r.example/v2/a/b/tags/list?n=100&last=x'],
    ['<https://other.example/v2/a/b/tags/list?last=y>; rel=next', 'https://other.example/v2/a/b/tags/list?last=y'],
    ['<list?last=z>; rel="next"', 'https://r.example/v2/a/b/tags/list?last=z'],
    ['</first>; rel="prev", </v2/next?last=a%2Cb>; rel="next"', 'https://r.example/v2/next?last=a%2Cb'],
    ['</v2/x?last=a,b>; title="a, b"; rel="next"', 'https://r.example/v2/x?last=a,b'],
    ['</v2/x>; rel="prev"', undefined],
    ['</v2/x>; REL="Next"', 'https://r.example/v2/x'],
    ['</v2/x>; rel="last next"', 'https://r.example/v2/x'],
    ['garbage', undefined],
  ])('%j → %s', (value, expected) => {
    expect(parseLinkNext(value, base)).toBe(expected);
  });

  it('takes the next link from several header lines', () => {
    expect(parseLinkNext(['</p>; rel="prev"', '</n>; rel="next"'], base)).toBe('https://r.example/n');
  });
});

describe('retry classification', () => {
  it.each([
    [429, true],
    [408, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [501, false],
    [505, false],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
  ])('status %d retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  const coded = (code: string) => Object.assign(new Error('x'), { code });
  it.each([
    ['ECONNRESET', coded('ECONNRESET'), true],
    ['UND_ERR_SOCKET', coded('UND_ERR_SOCKET'), true],
    ['headers timeout', coded('UND_ERR_HEADERS_TIMEOUT'), true],
    ['connect timeout', coded('UND_ERR_CONNECT_TIMEOUT'), true],
    ['fetch terminated', new TypeError('terminated'), true],
    ['other side closed', new Error('other side closed'), true],
    ['cause chain', new TypeError('fetch failed', { cause: coded('ECONNRESET') }), true],
    ['retryable status', new RetryableStatusError(503, {}, '', undefined), true],
    ['aborted', coded('UND_ERR_ABORTED'), false],
    ['plain error', new Error('digest mismatch'), false],
    ['ENOTFOUND', coded('ENOTFOUND'), false],
  ])('%s → %s', (_name, err, expected) => {
    expect(isRetryableNetworkError(err)).toBe(expected);
  });
});

describe('backoffDelay', () => {
  const retry = { retries: 5, minDelayMs: 100, maxDelayMs: 1000 };
  it.each([
    [0, 0, 50],
    [0, 1, 100],
    [1, 0, 100],
    [2, 1, 400],
    [3, 0.5, 600],
    [4, 1, 1000],
    [10, 0, 500],
  ])('attempt %d with random %s → %d ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, retry, () => random)).toBe(expected);
  });
});

describe('proxyFor', () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', HTTP_PROXY: 'http://plain:3128' };
  it.each([
    ['https://ghcr.io/v2/', env, 'http://proxy:3128'],
    ['http://registry.internal:5000/v2/', env, 'http://plain:3128'],
    ['http://127.0.0.1:5000/v2/', env, undefined],
    ['http://127.8.9.10:5000/v2/', env, undefined],
    ['http://localhost:5000/v2/', env, undefined],
    ['http://[::1]:5000/v2/', env, undefined],
    ['https://ghcr.io/v2/', { ...env, NO_PROXY: 'ghcr.io' }, undefined],
    ['https://pkg.ghcr.io/v2/', { ...env, NO_PROXY: 'ghcr.io' }, undefined],
    ['https://ghcr.io/v2/', { ...env, NO_PROXY: '.ghcr.io' }, 'http://proxy:3128'],
    ['https://a.ghcr.io/v2/', { ...env, NO_PROXY: '*.ghcr.io' }, undefined],
    ['https://ghcr.io/v2/', { ...env, NO_PROXY: 'example.com, ghcr.io:443' }, undefined],
    ['https://ghcr.io/v2/', { ...env, NO_PROXY: 'ghcr.io:8443' }, 'http://proxy:3128'],
    ['https://ghcr.io/v2/', { ...env, NO_PROXY: '*' }, undefined],
    ['https://ghcr.io/v2/', { ...env, no_proxy: 'ghcr.io', NO_PROXY: '' }, undefined],
    ['https://ghcr.io/v2/', { https_proxy: 'http://lower:1', HTTPS_PROXY: 'http://upper:1' }, 'http://lower:1'],
    ['https://ghcr.io/v2/', { HTTP_PROXY: 'http://plain:3128' }, undefined],
    ['https://notghcr.io/v2/', { ...env, NO_PROXY: 'ghcr.io' }, 'http://proxy:3128'],
  ])('%s with %j → %s', (url, e, expected) => {
    expect(proxyFor(url, e as NodeJS.ProcessEnv)).toBe(expected);
  });
});

describe('Transport.retrying', () => {
  it('retries retryable failures with growing delays and honours Retry-After within its cap', async () => {
    const waits: number[] = [];
    const t = new Transport({
      retry: { retries: 3, minDelayMs: 10, maxDelayMs: 40 },
      retryAfterCapMs: 5000,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    let calls = 0;
    const result = await t.retrying('op', async () => {
      calls++;
      if (calls === 1) throw new RetryableStatusError(429, {}, '', 2000);
      if (calls === 2) throw new RetryableStatusError(429, {}, '', 60_000);
      if (calls === 3) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(waits[0]).toBe(2000);
    expect(waits[1]).toBe(5000);
    expect(waits[2]).toBeGreaterThanOrEqual(20);
    expect(waits[2]).toBeLessThanOrEqual(40);
    await t.close();
  });

  it('gives up after the configured retries and never retries other errors', async () => {
    const t = new Transport({ retry: { retries: 2, minDelayMs: 1, maxDelayMs: 1 }, sleep: async () => {} });
    let calls = 0;
    await expect(
      t.retrying('op', async () => {
        calls++;
        throw new RetryableStatusError(503, {}, '', undefined);
      }),
    ).rejects.toBeInstanceOf(RetryableStatusError);
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      t.retrying('op', async () => {
        calls++;
        throw new Error('denied');
      }),
    ).rejects.toThrow('denied');
    expect(calls).toBe(1);
    await t.close();
  });
});
