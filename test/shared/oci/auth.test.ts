import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, Authenticator, mergeScopes, parseWwwAuthenticate, scopesCover } from '#shared/oci/auth.js';
import { type Credential, staticCredentials } from '#shared/oci/credentials.js';
import { Transport } from '#shared/oci/transport.js';

describe('parseWwwAuthenticate', () => {
  it.each([
    [undefined, []],
    ['', []],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/nginx:pull',
          },
        },
      ],
    ],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull,push"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:o/a:pull,push' },
        },
      ],
    ],
    [
      'Bearer realm="http://127.0.0.1:1/token",service="svc",scope="repository:a:pull",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'http://127.0.0.1:1/token',
            service: 'svc',
            scope: 'repository:a:pull',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic realm=registry', [{ scheme: 'basic', params: { realm: 'registry' } }]],
    [
      'Basic realm="x", Bearer realm="https://t/token", service=s',
      [
        { scheme: 'basic', params: { realm: 'x' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    [
      'Bearer  realm = "https://t/token" , service="a \\"quoted\\" name"',
      [{ scheme: 'bearer', params: { realm: 'https://t/token', service: 'a "quoted" name' } }],
    ],
    ['Negotiate', [{ scheme: 'negotiate', params: {} }]],
    [
      ['Basic realm="one"', 'Bearer realm="https://two/token"'],
      [
        { scheme: 'basic', params: { realm: 'one' } },
        { scheme: 'bearer', params: { realm: 'https://two/token' } },
      ],
    ],
  ])('%j', (value, expected) => {
    expect(parseWwwAuthenticate(value)).toEqual(expected);
  });
});

describe('scopes', () => {
  it.each([
    [['repository:a:pull'], ['repository:a:pull']],
    [['repository:a:push', 'repository:a:pull'], ['repository:a:pull,push']],
    [
      ['repository:b:pull', 'repository:a:pull,push', 'repository:a:pull'],
      ['repository:a:pull,push', 'repository:b:pull'],
    ],
    [['repository:a:pull repository:b:pull'], ['repository:a:pull', 'repository:b:pull']],
    [['repository:host:5000/a:delete', 'repository:host:5000/a:pull'], ['repository:host:5000/a:delete,pull']],
    [[], []],
  ])('mergeScopes(%j) → %j', (scopes, expected) => {
    expect(mergeScopes(scopes)).toEqual(expected);
  });

  it.each([
    [['repository:a:pull,push'], ['repository:a:pull'], true],
    [['repository:a:pull'], ['repository:a:pull,push'], false],
    [['repository:a:pull,push', 'repository:b:pull'], ['repository:b:pull'], true],
    [['repository:a:*'], ['repository:a:delete,pull'], true],
    [['repository:a:pull'], ['repository:b:pull'], false],
    [['repository:a:pull'], [], true],
  ])('scopesCover(%j, %j) is %s', (have, need, expected) => {
    expect(scopesCover(have, need)).toBe(expected);
  });
});

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

/** A token server after the docker token spec: GET with basic or anonymous, POST with a refresh token. */
async function tokenServer(options: { postStatus?: number; expiresIn?: number } = {}) {
  const seen: Seen[] = [];
  let issued = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const ok = (extra: Record<string, unknown> = {}) => {
        issued++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: `tok-${issued}-secretvalue`, expires_in: options.expiresIn ?? 300, ...extra }));
      };
      if (req.method === 'POST') {
        if (options.postStatus) {
          res.writeHead(options.postStatus);
          res.end();
          return;
        }
        const form = new URLSearchParams(body);
        if (form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'identity-secret') {
          ok({ access_token: `tok-${issued + 1}-secretvalue`, token: undefined });
          return;
        }
        res.writeHead(401);
        res.end();
        return;
      }
      const auth = req.headers.authorization;
      if (auth === undefined) return ok();
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':');
      if ((user === 'alice' && pass === 'pa55word-secret') || (user === '<token>' && pass === 'identity-secret')) {
        return ok();
      }
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: `wrong password ${pass}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { seen, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Authenticator', () => {
  let server: Awaited<ReturnType<typeof tokenServer>>;
  const transport = new Transport({ retry: { retries: 0 } });
  beforeAll(async () => {
    server = await tokenServer();
  });
  afterAll(async () => {
    await server.close();
    await transport.close();
  });

  const make = (credential: Credential | undefined, now?: () => number) => {
    const masked: string[] = [];
    const auth = new Authenticator({
      transport,
      credentials: staticCredentials(credential ? { 'reg.test': credential } : {}),
      maskSecret: (s) => masked.push(s),
      now,
      // reg.test stands for a plain-http registry on this machine, as the token server is
      registryOrigin: () => 'http://127.0.0.1:5000',
    });
    return { auth, masked };
  };
  const challenge = () => `Bearer realm="${server.url}",service="reg.test",scope="repository:a:pull"`;

  it('gets a token with basic credentials by GET, masks it, and caches it per scope', async () => {
    server.seen.length = 0;
    const { auth, masked } = make({ username: 'alice', password: 'pa55word-secret' });
    const header = await auth.challenge('reg.test', challenge(), ['repository:a:pull,push'], undefined);
    expect(header).toMatch(/^Bearer tok-\d+-secretvalue$/);
    expect(server.seen).toHaveLength(1);
    const url = new URL(server.seen[0]!.url, 'http://x');
    expect(url.searchParams.get('service')).toBe('reg.test');
    expect(url.searchParams.getAll('scope')).toEqual(['repository:a:pull,push']);
    expect(url.searchParams.get('account')).toBe('alice');
    expect(server.seen[0]!.authorization).toBe(`Basic ${Buffer.from('alice:pa55word-secret').toString('base64')}`);
    expect(masked).toContain('pa55word-secret');
    expect(masked).toContain(header!.slice('Bearer '.length));

    // a narrower scope is served from the cache, a wider one needs a new token
    expect(await auth.authorize('reg.test', ['repository:a:pull'])).toBe(header);
    expect(server.seen).toHaveLength(1);
    const both = await auth.authorize('reg.test', ['repository:a:pull', 'repository:b:pull']);
    expect(both).not.toBe(header);
    expect(server.seen).toHaveLength(2);
    expect(new URL(server.seen[1]!.url, 'http://x').searchParams.getAll('scope')).toEqual([
      'repository:a:pull',
      'repository:b:pull',
    ]);
  });

  it('fetches a new token once the cached one is about to expire', async () => {
    server.seen.length = 0;
    let now = 1_000_000;
    const { auth } = make({ username: 'alice', password: 'pa55word-secret' }, () => now);
    const first = await auth.challenge('reg.test', challenge(), [], undefined);
    expect(await auth.authorize('reg.test', ['repository:a:pull'])).toBe(first);
    now += 290_000; // 300 s lifetime, refreshed 15 s early
    const second = await auth.authorize('reg.test', ['repository:a:pull']);
    expect(second).not.toBe(first);
    expect(server.seen).toHaveLength(2);
  });

  it('asks anonymously when there are no credentials', async () => {
    server.seen.length = 0;
    const { auth } = make(undefined);
    expect(await auth.challenge('reg.test', challenge(), [], undefined)).toMatch(/^Bearer /);
    expect(server.seen[0]!.authorization).toBeUndefined();
  });

  it('exchanges an identity token by POST with grant_type=refresh_token', async () => {
    server.seen.length = 0;
    const { auth, masked } = make({ identityToken: 'identity-secret' });
    const header = await auth.challenge('reg.test', challenge(), ['repository:a:pull,push'], undefined);
    expect(header).toMatch(/^Bearer tok-\d+-secretvalue$/);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]!.method).toBe('POST');
    const form = new URLSearchParams(server.seen[0]!.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('service')).toBe('reg.test');
    expect(form.get('scope')).toBe('repository:a:pull,push');
    expect(masked).toContain('identity-secret');
  });

  it('falls back to GET when the token server has no POST endpoint', async () => {
    const noPost = await tokenServer({ postStatus: 404 });
    try {
      const { auth } = make({ identityToken: 'identity-secret' });
      const header = await auth.challenge(
        'reg.test',
        `Bearer realm="${noPost.url}",service="reg.test"`,
        ['repository:a:pull'],
        undefined,
      );
      expect(header).toMatch(/^Bearer /);
      expect(noPost.seen.map((s) => s.method)).toEqual(['POST', 'GET']);
    } finally {
      await noPost.close();
    }
  });

  it('sends a registry token as it is, without asking the token server', async () => {
    server.seen.length = 0;
    const { auth, masked } = make({ registryToken: 'reg-token-secret' });
    expect(await auth.challenge('reg.test', challenge(), [], undefined)).toBe('Bearer reg-token-secret');
    expect(server.seen).toHaveLength(0);
    expect(masked).toContain('reg-token-secret');
  });

  it('answers a Basic challenge with basic credentials, and says so when there are none', async () => {
    const { auth } = make({ username: 'bob', password: 'hunter2-secret' });
    const header = await auth.challenge('reg.test', 'Basic realm="Registry Realm"', [], undefined);
    expect(header).toBe(`Basic ${Buffer.from('bob:hunter2-secret').toString('base64')}`);
    expect(await auth.authorize('reg.test', ['repository:x:pull'])).toBe(header);
    const anonymous = make(undefined).auth;
    await expect(anonymous.challenge('reg.test', 'Basic realm="r"', [], undefined)).rejects.toThrow(
      /reg\.test asks for a username and password and none were found/,
    );
  });

  it('reports rejected credentials without quoting the password or the token server body', async () => {
    const { auth } = make({ username: 'alice', password: 'wrong-secret-pw' });
    const err = await auth.challenge('reg.test', challenge(), [], undefined).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.failure).toBe('credentials-rejected');
    expect(err.message).toContain('authentication failed for reg.test: check the username/password');
    expect(err.message).not.toContain('wrong-secret-pw');
  });
});
