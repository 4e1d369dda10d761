import { describe, expect, it } from 'vitest';
import { loginHandshake, parseChallenge } from '../../../actions/registry-login/src/handshake.js';
import { createHttpClient, describeNetworkError, retryAfterMs } from '../../../actions/registry-login/src/http.js';
import { json, startFake } from '../../fakes/server.js';

describe('parseChallenge', () => {
  it.each([
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
      },
    ],
    [
      'Bearer realm=https://x/token, service=reg',
      { scheme: 'bearer', params: { realm: 'https://x/token', service: 'reg' } },
    ],
    [null, undefined],
  ])('%s', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('retryAfterMs and describeNetworkError', () => {
  it.each([
    ['3', 3000],
    ['Thu, 01 Jan 1970 00:00:10 GMT', 5000],
    ['soon', undefined],
    [null, undefined],
  ])('Retry-After %s', (value, ms) => {
    expect(retryAfterMs(value, 5000)).toBe(ms);
  });

  it.each([
    ['ECONNREFUSED', '127.0.0.1:9 is unreachable (connection refused)', true],
    ['ENOTFOUND', '127.0.0.1:9 is unreachable (host name not found)', false],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS problem talking to 127.0.0.1:9 (DEPTH_ZERO_SELF_SIGNED_CERT)', false],
    ['ECONNRESET', '127.0.0.1:9 is unreachable (ECONNRESET)', true],
  ])('%s', (code, detail, transient) => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) });
    expect(describeNetworkError(err, 'https://127.0.0.1:9/v2/')).toEqual({ detail, transient });
  });
});

describe('loginHandshake', () => {
  const user = 'ci';
  const password = 'r1ght-password';
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('basic registry: right and wrong credentials', async () => {
    const registry = await startFake((req) =>
      req.headers.authorization === basic
        ? json(200, {})
        : json(401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': 'Basic realm="r"' }),
    );
    const host = registry.url.replace('http://', '');
    const http = createHttpClient();
    try {
      expect(await loginHandshake(http, host, user, password)).toBe('authenticated');
      await expect(loginHandshake(http, host, user, 'wrong')).rejects.toThrow(
        `logging in to ${host}: wrong credentials: the registry refused user 'ci' (HTTP 401)`,
      );
    } finally {
      await registry.close();
    }
  });

  it('token registry: asks the token server without scope, with account', async () => {
    const tokens = await startFake((req) =>
      req.headers.authorization === basic ? json(200, { token: 't' }) : json(401, { details: 'bad' }),
    );
    const registry = await startFake(() =>
      json(401, {}, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="svc"` }),
    );
    const host = registry.url.replace('http://', '');
    const http = createHttpClient();
    try {
      expect(await loginHandshake(http, host, user, password)).toBe('authenticated');
      expect(tokens.requests[0]!.url).toBe('/token?service=svc&account=ci');
      await expect(loginHandshake(http, host, user, 'wrong')).rejects.toThrow(
        `logging in to ${host}: wrong credentials: the token server ${tokens.url.replace('http://', '')} refused user 'ci' (HTTP 401)`,
      );
    } finally {
      await Promise.all([tokens.close(), registry.close()]);
    }
  });

  it('names an unreachable registry after the retries', async () => {
    const sleeps: number[] = [];
    const closed = await startFake(() => json(200, {}));
    await closed.close();
    const host = closed.url.replace('http://', '');
    const http = createHttpClient({ sleep: async (ms) => void sleeps.push(ms), retries: 2 });
    await expect(loginHandshake(http, host, user, password)).rejects.toThrow(
      `logging in to ${host}: ${host} is unreachable (connection refused)`,
    );
    expect(sleeps).toEqual([500, 1000]);
  });
});
