// A local fake of the Actions results service, as @actions/artifact and @actions/cache (v2) speak
// to it: Twirp JSON calls under /twirp/github.actions.results.api.v1.{ArtifactService,CacheService}/
// and the blob-storage URLs they hand out (Azure Blob REST: Put Blob, Put Block, Put Block List,
// Get Blob Properties, Get Blob with ranges). The runtime token is checked the way the service
// does: a JWT whose `scp` claim holds `Actions.Results:<run-backend-id>:<job-backend-id>`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StoredArtifact {
  name: string;
  runBackendId: string;
  jobBackendId: string;
  bytes: Buffer;
  /** the hash FinalizeArtifact was given */
  hash: string | undefined;
  size: number;
  id: number;
}

export interface StoredCache {
  key: string;
  version: string;
  bytes: Buffer;
}

export interface ResultsFake {
  url: string;
  /** a runtime token for ACTIONS_RUNTIME_TOKEN */
  token: string;
  artifacts: StoredArtifact[];
  caches: StoredCache[];
  /** Twirp method or blob operation, in order */
  calls: string[];
  close(): Promise<void>;
}

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A JWT with the scope the results service reads (unsigned: the clients only decode it). */
export function runtimeToken(runBackendId: string, jobBackendId: string): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url({ scp: `Actions.GenericRead:00000000-0000-0000-0000-000000000000 Actions.Results:${runBackendId}:${jobBackendId}`, exp: 4102444800 })}.c2lnbmF0dXJl`;
}

function scopeOf(req: IncomingMessage): { run: string; job: string } | undefined {
  const auth = req.headers.authorization ?? '';
  const payload = auth.replace(/^Bearer /, '').split('.')[1];
  if (!payload) return undefined;
  try {
    const scp = String(JSON.parse(Buffer.from(payload, 'base64url').toString()).scp ?? '');
    const m = /(?:^| )Actions\.Results:([^: ]+):([^: ]+)/.exec(scp);
    return m ? { run: m[1] as string, job: m[2] as string } : undefined;
  } catch {
    return undefined;
  }
}

function twirpError(res: ServerResponse, status: number, code: string, msg: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, msg }));
}

function reply(res: ServerResponse, value: object): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

export async function startResultsFake(): Promise<ResultsFake> {
  const runBackendId = 'c4d9a3a4-1d6f-4a3c-9c2e-7d2f1e0b9a11';
  const jobBackendId = '5e0a8b7c-6d5e-4f3a-8b2c-1a0f9e8d7c6b';
  const artifacts: StoredArtifact[] = [];
  const caches: StoredCache[] = [];
  const calls: string[] = [];
  const pendingCaches = new Map<string, { key: string; version: string }>();
  const blobs = new Map<string, Buffer>();
  const blocks = new Map<string, Map<string, Buffer>>();
  let nextId = 1000;
  let base = '';

  async function body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const twirp = /^\/twirp\/github\.actions\.results\.api\.v1\.(ArtifactService|CacheService)\/(\w+)$/.exec(
      url.pathname,
    );
    if (twirp) {
      const [, service, method] = twirp as unknown as [string, string, string];
      calls.push(method);
      const scope = scopeOf(req);
      if (!scope) return twirpError(res, 401, 'unauthenticated', 'the token has no Actions.Results scope');
      const input = JSON.parse((await body(req)).toString() || '{}');
      if (service === 'ArtifactService') {
        if (input.workflow_run_backend_id !== scope.run || input.workflow_job_run_backend_id !== scope.job) {
          return twirpError(res, 403, 'permission_denied', 'backend IDs do not match the token');
        }
        if (method === 'CreateArtifact') {
          if (artifacts.some((a) => a.name === input.name && a.runBackendId === scope.run)) {
            return twirpError(
              res,
              409,
              'already_exists',
              `an artifact with this name already exists on the workflow run`,
            );
          }
          const path = `/blob/actions-results/${scope.run}/${scope.job}/${encodeURIComponent(input.name)}.zip`;
          return reply(res, { ok: true, signed_upload_url: `${base}${path}?sig=fake-signature&se=2099-01-01` });
        }
        if (method === 'FinalizeArtifact') {
          const path = `/blob/actions-results/${scope.run}/${scope.job}/${encodeURIComponent(input.name)}.zip`;
          const bytes = blobs.get(path);
          if (!bytes) return twirpError(res, 404, 'not_found', 'nothing was uploaded');
          const id = nextId++;
          artifacts.push({
            name: input.name,
            runBackendId: scope.run,
            jobBackendId: scope.job,
            bytes,
            hash: input.hash,
            size: Number(input.size),
            id,
          });
          return reply(res, { ok: true, artifact_id: String(id) });
        }
      } else {
        if (method === 'CreateCacheEntry') {
          if (caches.some((c) => c.key === input.key && c.version === input.version)) {
            return twirpError(
              res,
              409,
              'already_exists',
              'cache entry with the same key, version, and scope already exists',
            );
          }
          const path = `/blob/actions-cache/${createHash('sha256').update(`${input.key}:${input.version}`).digest('hex')}`;
          pendingCaches.set(path, { key: input.key, version: input.version });
          return reply(res, { ok: true, signed_upload_url: `${base}${path}?sig=fake-signature` });
        }
        if (method === 'FinalizeCacheEntryUpload') {
          const path = `/blob/actions-cache/${createHash('sha256').update(`${input.key}:${input.version}`).digest('hex')}`;
          const bytes = blobs.get(path);
          if (!bytes || !pendingCaches.has(path)) return twirpError(res, 404, 'not_found', 'no upload for this entry');
          if (Number(input.size_bytes) !== bytes.length)
            return twirpError(res, 400, 'invalid_argument', 'size mismatch');
          caches.push({ key: input.key, version: input.version, bytes });
          return reply(res, { ok: true, entry_id: String(nextId++) });
        }
        if (method === 'GetCacheEntryDownloadURL') {
          const keys = [input.key, ...(input.restore_keys ?? [])] as string[];
          for (const k of keys) {
            const hit = caches.find(
              (c) => c.version === input.version && (c.key === k || (k !== input.key && c.key.startsWith(k))),
            );
            if (hit) {
              const path = `/blob/actions-cache/${createHash('sha256').update(`${hit.key}:${hit.version}`).digest('hex')}`;
              return reply(res, {
                ok: true,
                signed_download_url: `${base}${path}?sig=fake-signature`,
                matched_key: hit.key,
              });
            }
          }
          return reply(res, { ok: false, signed_download_url: '', matched_key: '' });
        }
      }
      return twirpError(res, 404, 'bad_route', `no method ${method}`);
    }
    if (url.pathname.startsWith('/blob/')) {
      if (url.searchParams.get('sig') !== 'fake-signature') {
        res.writeHead(403);
        return res.end('AuthenticationFailed');
      }
      const path = url.pathname;
      const common = {
        'x-ms-request-id': String(nextId++),
        'x-ms-version': '2024-11-04',
        etag: '"0x8D"',
        'last-modified': new Date(0).toUTCString(),
      };
      if (req.method === 'PUT') {
        const data = await body(req);
        const comp = url.searchParams.get('comp');
        if (comp === 'block') {
          calls.push('PutBlock');
          const list = blocks.get(path) ?? new Map<string, Buffer>();
          list.set(url.searchParams.get('blockid') ?? '', data);
          blocks.set(path, list);
        } else if (comp === 'blocklist') {
          calls.push('PutBlockList');
          const ids = [...data.toString().matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map(
            (m) => m[1] as string,
          );
          const list = blocks.get(path) ?? new Map<string, Buffer>();
          if (ids.some((id) => !list.has(id))) {
            res.writeHead(400, common);
            return res.end('InvalidBlockList');
          }
          blobs.set(path, Buffer.concat(ids.map((id) => list.get(id) as Buffer)));
          blocks.delete(path);
        } else {
          calls.push('PutBlob');
          blobs.set(path, data);
        }
        res.writeHead(201, { ...common, 'content-md5': createHash('md5').update(data).digest('base64') });
        return res.end();
      }
      const blob = blobs.get(path);
      if (!blob) {
        res.writeHead(404, { ...common, 'x-ms-error-code': 'BlobNotFound' });
        return res.end();
      }
      const props = {
        ...common,
        'x-ms-blob-type': 'BlockBlob',
        'accept-ranges': 'bytes',
        'content-type': 'application/octet-stream',
      };
      if (req.method === 'HEAD') {
        calls.push('GetBlobProperties');
        res.writeHead(200, { ...props, 'content-length': blob.length });
        return res.end();
      }
      calls.push('GetBlob');
      const range = /bytes=(\d+)-(\d*)/.exec(String(req.headers['x-ms-range'] ?? req.headers.range ?? ''));
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), blob.length - 1) : blob.length - 1;
        res.writeHead(206, {
          ...props,
          'content-length': end - start + 1,
          'content-range': `bytes ${start}-${end}/${blob.length}`,
        });
        return res.end(blob.subarray(start, end + 1));
      }
      res.writeHead(200, { ...props, 'content-length': blob.length });
      return res.end(blob);
    }
    res.writeHead(404);
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    token: runtimeToken(runBackendId, jobBackendId),
    artifacts,
    caches,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The files of an uploaded artifact zip (name -> text), read with the system's unzip. */
export function artifactFiles(zip: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'unzip-'));
  writeFileSync(join(dir, 'a.zip'), zip);
  const names = execFileSync('zipinfo', ['-1', join(dir, 'a.zip')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  return Object.fromEntries(
    names.map((n) => [
      n,
      execFileSync('unzip', ['-p', join(dir, 'a.zip'), n], { encoding: 'utf8', maxBuffer: 1 << 26 }),
    ]),
  );
}
