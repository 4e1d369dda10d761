// A local fake of the GitHub Packages REST API for container packages, in its documented shapes:
// `GET /users/{owner}` (type Organization|User), `GET /orgs|users/{owner}/packages/container/
// {package}/versions` with per_page (max 100) / page and `Link` next/last, `GET` and `DELETE`
// of one version (204), JSON errors `{message, documentation_url}`, `x-ratelimit-*` headers.
import { type FakeServer, json, type RecordedRequest, startFake } from './server.js';

export interface FakeVersion {
  id: number;
  /** the manifest digest */
  name: string;
  created_at: string;
  updated_at: string;
  tags: string[];
}

export interface GhcrFakeOptions {
  owners: Record<string, 'Organization' | 'User'>;
  /** `${owner}/${package}` -> versions */
  packages: Record<string, FakeVersion[]>;
  token: string;
  /** DELETE answers 404 without deleting, as GitHub does for a token without delete rights */
  deleteDenied?: boolean;
  rateLimit?: { limit: number; remaining: number };
}

export interface GhcrFake extends FakeServer {
  deleted: { owner: string; package: string; id: number }[];
  versions(owner: string, pkg: string): FakeVersion[];
}

const DOCS = 'https://docs.github.com/rest/packages/packages';

export async function startGhcrFake(options: GhcrFakeOptions): Promise<GhcrFake> {
  const deleted: GhcrFake['deleted'] = [];
  const limit = { limit: 5000, remaining: 5000, ...options.rateLimit };
  const rate = () => {
    limit.remaining = Math.max(0, limit.remaining - 1);
    return {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(limit.remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': String(limit.limit - limit.remaining),
      'x-ratelimit-resource': 'core',
    };
  };
  let base = '';
  const handler = (req: RecordedRequest) => {
    const headers = rate();
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      return json(
        401,
        { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
        headers,
      );
    }
    const url = new URL(req.url, base);
    const user = /^\/users\/([^/]+)$/.exec(url.pathname);
    if (user && req.method === 'GET') {
      const login = decodeURIComponent(user[1] as string);
      const type = options.owners[login];
      if (!type)
        return json(
          404,
          { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/users/users', status: '404' },
          headers,
        );
      return json(200, { login, id: 1, type }, headers);
    }
    const m = /^\/(orgs|users)\/([^/]+)\/packages\/container\/([^/]+)\/versions(?:\/(\d+))?$/.exec(url.pathname);
    if (!m) return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' }, headers);
    const owner = decodeURIComponent(m[2] as string);
    const pkg = decodeURIComponent(m[3] as string);
    const scopeOk = (m[1] === 'orgs') === (options.owners[owner] === 'Organization');
    const list = options.packages[`${owner}/${pkg}`];
    if (!list || !scopeOk)
      return json(404, { message: 'Package not found.', documentation_url: DOCS, status: '404' }, headers);
    const toJson = (v: FakeVersion) => ({
      id: v.id,
      name: v.name,
      url: `${base}${url.pathname.replace(/\/\d+$/, '')}/${v.id}`,
      package_html_url: `https://github.com/${owner}/packages/container/package/${pkg}`,
      created_at: v.created_at,
      updated_at: v.updated_at,
      html_url: `https://github.com/${owner}/packages/container/${pkg}/${v.id}`,
      metadata: { package_type: 'container', container: { tags: v.tags } },
    });
    if (m[4]) {
      const id = Number(m[4]);
      const i = list.findIndex((v) => v.id === id);
      if (i < 0)
        return json(404, { message: 'Package version not found.', documentation_url: DOCS, status: '404' }, headers);
      if (req.method === 'GET') return json(200, toJson(list[i] as FakeVersion), headers);
      if (req.method === 'DELETE') {
        if (options.deleteDenied)
          return json(404, { message: 'Package version not found.', documentation_url: DOCS, status: '404' }, headers);
        list.splice(i, 1);
        deleted.push({ owner, package: pkg, id });
        return { status: 204, headers };
      }
    }
    if (req.method !== 'GET')
      return json(404, { message: 'Not Found', documentation_url: DOCS, status: '404' }, headers);
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(list.length / perPage));
    const links: string[] = [];
    const link = (p: number, rel: string) => {
      const u = new URL(url.href);
      u.searchParams.set('page', String(p));
      u.searchParams.set('per_page', String(perPage));
      links.push(`<${u.href}>; rel="${rel}"`);
    };
    if (page > 1) link(page - 1, 'prev');
    if (page < last) {
      link(page + 1, 'next');
      link(last, 'last');
    }
    if (page > 1) link(1, 'first');
    const items = list.slice((page - 1) * perPage, page * perPage).map(toJson);
    return json(200, items, links.length ? { ...headers, link: links.join(', ') } : headers);
  };
  const server = await startFake(handler);
  base = server.url;
  return Object.assign(server, {
    deleted,
    versions: (owner: string, pkg: string) => options.packages[`${owner}/${pkg}`] ?? [],
  });
}
