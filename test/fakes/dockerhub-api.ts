// A local fake of the Docker Hub API in its documented shapes: `POST /v2/users/login` -> {token},
// `POST /v2/auth/token` (identifier/secret) -> {access_token}, paginated tag listing
// `{count, next, previous, results}` with absolute `next` URLs, tag GET and DELETE (204),
// error bodies `{message, errinfo}` / `{detail}`, and `x-ratelimit-*` / `Retry-After` headers.
import { type FakeServer, json, type RecordedRequest, startFake } from './server.js';

export interface FakeHubTag {
  name: string;
  digest: string;
  tag_last_pushed: string;
}

export interface DockerHubFakeOptions {
  username: string;
  password: string;
  /** `${namespace}/${repository}` -> tags */
  repositories: Record<string, FakeHubTag[]>;
  /** only the newer /v2/auth/token endpoint exists (the old login answers 404) */
  onlyAuthToken?: boolean;
  /** DELETE answers 404 without deleting */
  deleteDenied?: boolean;
}

export interface DockerHubFake extends FakeServer {
  deletedTags: string[];
}

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJmYWtlIn0.c2lnbmF0dXJl';

export async function startDockerHubFake(options: DockerHubFakeOptions): Promise<DockerHubFake> {
  const deletedTags: string[] = [];
  let base = '';
  let remaining = 180;
  const handler = (req: RecordedRequest) => {
    remaining = Math.max(0, remaining - 1);
    const headers = {
      'x-ratelimit-limit': '180',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
    };
    const url = new URL(req.url, base);
    if (req.method === 'POST' && url.pathname === '/v2/users/login') {
      if (options.onlyAuthToken) return json(404, { message: 'Not Found' }, headers);
      const body = JSON.parse(req.body || '{}');
      if (body.username !== options.username || body.password !== options.password) {
        return json(
          401,
          { detail: 'Incorrect authentication credentials', message: 'Incorrect authentication credentials' },
          headers,
        );
      }
      return json(200, { token: JWT }, headers);
    }
    if (req.method === 'POST' && url.pathname === '/v2/auth/token') {
      const body = JSON.parse(req.body || '{}');
      if (body.identifier !== options.username || body.secret !== options.password) {
        return json(401, { errinfo: {}, message: 'invalid credentials' }, headers);
      }
      return json(200, { access_token: JWT }, headers);
    }
    if (req.headers.authorization !== `Bearer ${JWT}`) {
      return json(401, { message: 'authentication required', errinfo: {} }, headers);
    }
    const m = /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)\/tags(?:\/([^/]+))?\/?$/.exec(url.pathname);
    const tags = m
      ? options.repositories[`${decodeURIComponent(m[1] as string)}/${decodeURIComponent(m[2] as string)}`]
      : undefined;
    if (!m || !tags) return json(404, { message: 'httperror 404: object not found', errinfo: {} }, headers);
    const toJson = (t: FakeHubTag) => ({
      creator: 1,
      id: 1,
      images: [{ architecture: 'amd64', os: 'linux', digest: t.digest, size: 1000, status: 'active' }],
      last_updated: t.tag_last_pushed,
      name: t.name,
      repository: 1,
      full_size: 1000,
      v2: true,
      tag_status: 'active',
      tag_last_pulled: null,
      tag_last_pushed: t.tag_last_pushed,
      media_type: 'application/vnd.oci.image.index.v1+json',
      content_type: 'image',
      digest: t.digest,
    });
    if (m[3]) {
      const name = decodeURIComponent(m[3]);
      const i = tags.findIndex((t) => t.name === name);
      if (i < 0)
        return json(
          404,
          { message: 'httperror 404: tag not found', errinfo: { namespace: m[1], repository: m[2], tag: name } },
          headers,
        );
      if (req.method === 'GET') return json(200, toJson(tags[i] as FakeHubTag), headers);
      if (req.method === 'DELETE') {
        if (options.deleteDenied) return json(404, { message: 'httperror 404: tag not found', errinfo: {} }, headers);
        tags.splice(i, 1);
        deletedTags.push(name);
        return { status: 204, headers };
      }
    }
    const size = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? 10)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const pageUrl = (p: number) => {
      const u = new URL(url.href);
      u.searchParams.set('page', String(p));
      u.searchParams.set('page_size', String(size));
      return u.href;
    };
    return json(
      200,
      {
        count: tags.length,
        next: page * size < tags.length ? pageUrl(page + 1) : null,
        previous: page > 1 ? pageUrl(page - 1) : null,
        results: tags.slice((page - 1) * size, page * size).map(toJson),
      },
      headers,
    );
  };
  const server = await startFake(handler);
  base = server.url;
  return Object.assign(server, { deletedTags });
}
