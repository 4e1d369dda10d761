// The OCI 1.1 referrers API in front of a registry that has none (distribution 2.8): an HTTP
// proxy on 127.0.0.1 that forwards every request unchanged (Host header included, so upload
// Locations point back at the proxy) and implements only what the distribution spec adds for
// referrers. A manifest with a `subject` pushed through it is recorded once the registry has
// accepted it, and the answer carries `OCI-Subject`; `GET /v2/<name>/referrers/<digest>` answers
// from those records as an image index (`artifactType` filter, `OCI-Filters-Applied`; an empty
// index for a digest nothing refers to); a manifest DELETE the registry accepted is forgotten.
// Authorisation stays the registry's: a referrers request is first checked by asking the
// registry for the repository's tags with the same Authorization header, and a 401/403 is
// passed back as the registry gave it.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const MANIFEST_RE = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;
const REFERRERS_RE = /^\/v2\/(.+)\/referrers\/([^/?]+)$/;

export interface ReferrerRecord {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ReferrersRegistry {
  /** http://127.0.0.1:port */
  url: string;
  /** 127.0.0.1:port (what goes in image references) */
  host: string;
  /** every referrers API request, `GET <path with query>` */
  referrersRequests: string[];
  /** the records of a repository: subject digest -> referrers */
  records(repository: string): Map<string, ReferrerRecord[]>;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The descriptor the referrers API lists a manifest under (image spec: artifactType, else config media type). */
function describe(bytes: Buffer, contentType: string | undefined, digest: string): ReferrerRecord | undefined {
  let json: {
    mediaType?: unknown;
    artifactType?: unknown;
    config?: { mediaType?: unknown };
    subject?: { digest?: unknown };
    annotations?: unknown;
  };
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json?.subject?.digest !== 'string') return undefined;
  const record: ReferrerRecord = {
    mediaType: typeof json.mediaType === 'string' ? json.mediaType : (contentType ?? ''),
    digest,
    size: bytes.length,
  };
  const artifactType =
    typeof json.artifactType === 'string' && json.artifactType
      ? json.artifactType
      : typeof json.config?.mediaType === 'string'
        ? json.config.mediaType
        : undefined;
  if (artifactType) record.artifactType = artifactType;
  if (json.annotations && typeof json.annotations === 'object' && Object.keys(json.annotations).length) {
    record.annotations = json.annotations as Record<string, string>;
  }
  return record;
}

export async function startReferrersRegistry(upstreamUrl: string): Promise<ReferrersRegistry> {
  const upstream = new URL(upstreamUrl);
  // repository -> subject digest -> referrers
  const store = new Map<string, Map<string, ReferrerRecord[]>>();
  const referrersRequests: string[] = [];
  const repoStore = (name: string) => {
    const m = store.get(name) ?? new Map<string, ReferrerRecord[]>();
    store.set(name, m);
    return m;
  };

  const forward = (
    req: http.IncomingMessage,
    body: Buffer | undefined,
    path = req.url ?? '/',
    method = req.method ?? 'GET',
  ): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      if (body !== undefined) headers['content-length'] = String(body.length);
      const out = http.request({ host: upstream.hostname, port: upstream.port, method, path, headers }, (res) =>
        resolve(res),
      );
      out.on('error', reject);
      if (body !== undefined) out.end(body);
      else if (method === req.method) req.pipe(out);
      else out.end();
    });

  const relay = (from: http.IncomingMessage, to: http.ServerResponse, extra: Record<string, string> = {}) => {
    to.writeHead(from.statusCode ?? 502, { ...from.headers, ...extra });
    from.pipe(to);
  };

  const referrers = async (req: http.IncomingMessage, res: http.ServerResponse, name: string, digest: string) => {
    referrersRequests.push(`${req.method} ${req.url}`);
    if (!DIGEST_RE.test(digest)) {
      const body = JSON.stringify({
        errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }],
      });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
      return;
    }
    // the registry decides who may read the repository
    const check = await forward(req, Buffer.alloc(0), `/v2/${name}/tags/list`, 'GET');
    if (check.statusCode === 401 || check.statusCode === 403) {
      relay(check, res);
      return;
    }
    check.resume();
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const artifactType = query.get('artifactType');
    let manifests = store.get(name)?.get(digest) ?? [];
    const headers: Record<string, string> = { 'content-type': OCI_INDEX };
    if (artifactType !== null) {
      manifests = manifests.filter((m) => m.artifactType === artifactType);
      headers['oci-filters-applied'] = 'artifactType';
    }
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const manifestPut = async (req: http.IncomingMessage, res: http.ServerResponse, name: string) => {
    const body = await readBody(req);
    const answer = await forward(req, body);
    if (answer.statusCode !== 201) {
      relay(answer, res);
      return;
    }
    const digest =
      (answer.headers['docker-content-digest'] as string | undefined) ??
      `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const record = describe(body, req.headers['content-type'], digest);
    const extra: Record<string, string> = {};
    if (record) {
      const subject = (JSON.parse(body.toString('utf8')) as { subject: { digest: string } }).subject.digest;
      const list = repoStore(name).get(subject) ?? [];
      if (!list.some((r) => r.digest === digest)) list.push(record);
      repoStore(name).set(subject, list);
      extra['oci-subject'] = subject;
    }
    relay(answer, res, extra);
  };

  const manifestDelete = async (req: http.IncomingMessage, res: http.ServerResponse, name: string, ref: string) => {
    const answer = await forward(req, undefined);
    if (answer.statusCode === 202 && DIGEST_RE.test(ref)) {
      for (const [subject, list] of store.get(name) ?? []) {
        const kept = list.filter((r) => r.digest !== ref);
        if (kept.length) store.get(name)?.set(subject, kept);
        else store.get(name)?.delete(subject);
      }
    }
    relay(answer, res);
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handle = async () => {
      const ref = REFERRERS_RE.exec(path);
      if (ref && (req.method === 'GET' || req.method === 'HEAD')) return referrers(req, res, ref[1]!, ref[2]!);
      const man = MANIFEST_RE.exec(path);
      if (man && req.method === 'PUT') return manifestPut(req, res, man[1]!);
      if (man && req.method === 'DELETE') return manifestDelete(req, res, man[1]!, man[2]!);
      relay(await forward(req, undefined), res);
    };
    handle().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`referrers proxy: ${err.message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    referrersRequests,
    records: (repository) => repoStore(repository),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
