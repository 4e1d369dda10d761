// A registry that lies, on 127.0.0.1: it serves whatever manifests, indexes, referrers, configs,
// tag pages, error bodies and challenges a test crafts, byte for byte, and records every
// request (Authorization included) so a test can tell what the client sent where. It speaks just
// enough of the distribution API (GET/HEAD manifests and blobs, tags/list, referrers) for the
// registry client and the bundles to reach the crafted content.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileRequest {
  method: string;
  url: string;
  authorization?: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface TagPages {
  /** pages of tags, each answered with a Link to the next (when there is one) */
  pages?: string[][];
  /** where page 1's Link points instead (a foreign origin, say) */
  linkTo?: string;
  /** never ends: every page holds `pageSize` new tags and links to the next */
  endless?: { pageSize: number; delayMs?: number };
}

export interface HostileRegistry {
  url: string;
  /** host:port, as references name it */
  host: string;
  requests: HostileRequest[];
  /** stores the bytes as a manifest under `tags` and its digest; returns the digest */
  manifest(repo: string, content: unknown, options?: { tags?: string[]; contentType?: string }): string;
  /** stores a blob (a config, say); returns its digest */
  blob(repo: string, content: unknown): string;
  tags(repo: string, pages: TagPages): void;
  /** the referrers API answer for a digest: an index of these descriptors */
  referrers(repo: string, digest: string, manifests: unknown[]): void;
  /** every /v2 request without an accepted Authorization gets 401 with this WWW-Authenticate */
  challenge(www: string | undefined, accept?: (authorization: string | undefined) => boolean): void;
  /** a path matching `pattern` gets this reply, before anything else */
  fail(pattern: RegExp, reply: Reply): void;
  close(): Promise<void>;
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const bytesOf = (content: unknown) =>
  Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : JSON.stringify(content));

export async function startHostileRegistry(): Promise<HostileRegistry> {
  const requests: HostileRequest[] = [];
  const manifests = new Map<string, { bytes: Buffer; contentType: string; digest: string }>();
  const blobs = new Map<string, Buffer>();
  const tagPages = new Map<string, TagPages>();
  const referrers = new Map<string, unknown[]>();
  const failures: Array<{ pattern: RegExp; reply: Reply }> = [];
  let challenge: { www: string; accept: (a: string | undefined) => boolean } | undefined;

  const send = (res: ServerResponse, reply: Reply, head = false) => {
    const body = reply.body === undefined ? Buffer.alloc(0) : bytesOf(reply.body);
    res.writeHead(reply.status, { 'content-length': String(body.length), ...(reply.headers ?? {}) });
    res.end(head ? undefined : body);
  };
  const json = (status: number, value: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  });
  const unknown = (code: string) => json(404, { errors: [{ code, message: `${code.toLowerCase()}` }] });

  const handle = async (req: IncomingMessage, res: ServerResponse, base: string) => {
    const url = new URL(req.url ?? '/', base);
    const authorization = req.headers.authorization;
    requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, authorization });
    const head = req.method === 'HEAD';
    const failure = failures.find((f) => f.pattern.test(url.pathname + url.search));
    if (failure) return send(res, failure.reply, head);
    if (challenge && url.pathname.startsWith('/v2') && !challenge.accept(authorization)) {
      return send(res, json(401, { errors: [{ code: 'UNAUTHORIZED' }] }, { 'www-authenticate': challenge.www }), head);
    }
    if (url.pathname === '/v2/' || url.pathname === '/v2') return send(res, json(200, {}), head);
    const m = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\/(.+)$/.exec(url.pathname);
    if (!m) return send(res, json(404, { errors: [{ code: 'NAME_UNKNOWN' }] }), head);
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'manifests') {
      const found = manifests.get(`${repo}@${ref}`);
      if (!found) return send(res, unknown('MANIFEST_UNKNOWN'), head);
      return send(
        res,
        {
          status: 200,
          headers: { 'content-type': found.contentType, 'docker-content-digest': found.digest },
          body: found.bytes,
        },
        head,
      );
    }
    if (kind === 'blobs') {
      const found = blobs.get(`${repo}@${ref}`);
      if (!found) return send(res, unknown('BLOB_UNKNOWN'), head);
      return send(res, { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: found }, head);
    }
    if (kind === 'referrers') {
      const list = referrers.get(`${repo}@${ref}`);
      if (!list) return send(res, unknown('MANIFEST_UNKNOWN'), head);
      return send(
        res,
        json(
          200,
          { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: list },
          {
            'content-type': 'application/vnd.oci.image.index.v1+json',
          },
        ),
        head,
      );
    }
    // tags/list
    const pages = tagPages.get(repo);
    if (!pages) return send(res, json(404, { errors: [{ code: 'NAME_UNKNOWN' }] }), head);
    const n = Number(url.searchParams.get('page') ?? '0');
    if (pages.endless) {
      if (pages.endless.delayMs) await new Promise((r) => setTimeout(r, pages.endless?.delayMs));
      const list = Array.from({ length: pages.endless.pageSize }, (_, i) => `t${n}-${i}`);
      return send(
        res,
        json(200, { name: repo, tags: list }, { link: `</v2/${repo}/tags/list?page=${n + 1}>; rel="next"` }),
        head,
      );
    }
    const list = pages.pages?.[n] ?? [];
    const next =
      n === 0 && pages.linkTo
        ? pages.linkTo
        : n + 1 < (pages.pages?.length ?? 0)
          ? `/v2/${repo}/tags/list?page=${n + 1}`
          : undefined;
    return send(res, json(200, { name: repo, tags: list }, next ? { link: `<${next}>; rel="next"` } : {}), head);
  };

  let base = '';
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      handle(req, res, base).catch((err) => {
        if (!res.headersSent) send(res, { status: 500, body: String(err) });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    host: `127.0.0.1:${port}`,
    requests,
    manifest(repo, content, options = {}) {
      const bytes = bytesOf(content);
      const digest = sha256(bytes);
      const parsed = (() => {
        try {
          return JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
        } catch {
          return {};
        }
      })();
      const contentType =
        options.contentType ??
        (typeof parsed.mediaType === 'string' ? parsed.mediaType : 'application/vnd.oci.image.manifest.v1+json');
      const entry = { bytes, contentType, digest };
      manifests.set(`${repo}@${digest}`, entry);
      for (const tag of options.tags ?? []) manifests.set(`${repo}@${tag}`, entry);
      return digest;
    },
    blob(repo, content) {
      const bytes = bytesOf(content);
      const digest = sha256(bytes);
      blobs.set(`${repo}@${digest}`, bytes);
      return digest;
    },
    tags(repo, pages) {
      tagPages.set(repo, pages);
    },
    referrers(repo, digest, list) {
      referrers.set(`${repo}@${digest}`, list);
    },
    challenge(www, accept = (a) => a !== undefined) {
      challenge = www === undefined ? undefined : { www, accept };
    },
    fail(pattern, reply) {
      failures.push({ pattern, reply });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
