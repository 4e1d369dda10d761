// Every client that speaks HTTP goes through the proxy the environment names, and straight to
// the host when NO_PROXY covers it: the GitHub REST client, registry-login's exchange client,
// the Docker Hub API client and the fetch they share. The proxy routes real-looking host names
// to local fakes; "direct" shows as no tunnel asked for and the client's own name lookup failing
// (the names exist only behind the proxy).
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../actions/registry-login/src/http.js';
import { DockerHubApi } from '../../../actions/retention-cleanup/src/dockerhub.js';
import { GitHubClient } from '#shared/github/client.js';
import { createFetch } from '#shared/http/fetch.js';
import { startTunnelProxy, type TunnelProxy } from '../../fakes/proxy.js';
import { type FakeServer, json, startFake } from '../../fakes/server.js';

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c.close();
});

async function fake(handler: Parameters<typeof startFake>[0]): Promise<FakeServer> {
  const server = await startFake(handler);
  closers.push(server);
  return server;
}

async function proxyTo(routes: Record<string, FakeServer>): Promise<TunnelProxy> {
  const proxy = await startTunnelProxy(
    Object.fromEntries(Object.entries(routes).map(([host, s]) => [host, Number(new URL(s.url).port)])),
  );
  closers.push(proxy);
  return proxy;
}

describe('GitHub REST client', () => {
  it('sends every request, pages included, through HTTP_PROXY', async () => {
    const api = await fake((req) => {
      const page = Number(new URL(req.url, 'http://x').searchParams.get('page') ?? 1);
      return json(200, [page], page < 2 ? { link: '</orgs/o/packages?page=2>; rel="next"' } : {});
    });
    const proxy = await proxyTo({ 'api.github.test:80': api });
    const client = new GitHubClient({
      baseUrl: 'http://api.github.test',
      token: 'ghs_secret',
      env: { HTTP_PROXY: proxy.url, NO_PROXY: 'other.test' },
      sleep: async () => undefined,
    });
    expect(await client.paginate<number>('/orgs/o/packages')).toEqual([1, 2]);
    // kept-alive: one tunnel may carry both pages
    expect(new Set(proxy.tunnels)).toEqual(new Set(['api.github.test:80']));
    expect(api.requests.map((r) => [r.url, r.headers.host, r.headers.authorization])).toEqual([
      ['/orgs/o/packages?per_page=100', 'api.github.test', 'Bearer ghs_secret'],
      ['/orgs/o/packages?page=2', 'api.github.test', 'Bearer ghs_secret'],
    ]);
  });

  it('connects directly when NO_PROXY covers the host', async () => {
    const api = await fake(() => json(200, {}));
    const proxy = await proxyTo({ 'api.github.test:80': api });
    const client = new GitHubClient({
      baseUrl: 'http://api.github.test',
      env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,.github.test' },
      retries: 0,
    });
    await expect(client.request('GET', '/meta')).rejects.toThrow(/ENOTFOUND api\.github\.test/);
    expect(proxy.tunnels).toEqual([]);
    expect(api.requests).toEqual([]);
  });
});

describe('registry-login exchange client', () => {
  it('goes through HTTPS_PROXY/HTTP_PROXY, and direct for a NO_PROXY host', async () => {
    const sts = await fake(() => ({ status: 200, body: '<Credentials/>' }));
    const proxy = await proxyTo({ 'sts.aws.test:80': sts });
    const proxied = createHttpClient({ env: { HTTP_PROXY: proxy.url }, retries: 0 });
    const res = await proxied.request('STS', 'http://sts.aws.test/', { method: 'POST', body: 'Action=x' });
    expect([res.status, res.text]).toEqual([200, '<Credentials/>']);
    expect(proxy.tunnels).toEqual(['sts.aws.test:80']);
    expect(sts.requests.map((r) => [r.method, r.headers.host, r.body])).toEqual([['POST', 'sts.aws.test', 'Action=x']]);

    const direct = createHttpClient({ env: { HTTP_PROXY: proxy.url, NO_PROXY: 'sts.aws.test' }, retries: 0 });
    await expect(direct.request('STS', 'http://sts.aws.test/', { method: 'POST', body: '' })).rejects.toThrow(
      'STS: sts.aws.test is unreachable (host name not found)',
    );
    expect(proxy.tunnels).toEqual(['sts.aws.test:80']);
  });
});

describe('Docker Hub API client', () => {
  it('logs in and lists through the proxy of the process environment', async () => {
    const hub = await fake((req) =>
      req.url === '/v2/users/login'
        ? json(200, { token: 'hub-jwt' })
        : json(200, { count: 1, next: null, results: [{ name: 'v1', digest: 'sha256:aa' }] }),
    );
    const proxy = await proxyTo({ 'hub.docker.test:80': hub });
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    try {
      const api = new DockerHubApi({ baseUrl: 'http://hub.docker.test', username: 'u', password: 'p', retries: 0 });
      expect((await api.listTags('octo/app')).map((t) => t.name)).toEqual(['v1']);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(new Set(proxy.tunnels)).toEqual(new Set(['hub.docker.test:80']));
    expect(hub.requests.map((r) => r.headers.host)).toEqual(['hub.docker.test', 'hub.docker.test']);
  });
});

describe('createFetch', () => {
  it('follows a redirect to another origin without the Authorization header, through the proxy', async () => {
    const other = await fake((req) => json(200, { auth: req.headers.authorization ?? null }));
    const first = await fake(() => ({ status: 302, headers: { location: 'http://cdn.test/blob' } }));
    const proxy = await proxyTo({ 'api.test:80': first, 'cdn.test:80': other });
    const fetch = createFetch({ env: { HTTP_PROXY: proxy.url } });
    const res = await fetch('http://api.test/x', { headers: { authorization: 'Bearer t' } });
    expect(await res.json()).toEqual({ auth: null });
    expect(proxy.tunnels).toEqual(['api.test:80', 'cdn.test:80']);
    const manual = await fetch('http://api.test/x', { redirect: 'manual' });
    expect([manual.status, manual.headers.get('location')]).toEqual([302, 'http://cdn.test/blob']);
  });
});
