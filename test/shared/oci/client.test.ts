// The client's HTTP behaviours that distribution 2.8 cannot show: redirects to storage hosts,
// resumed downloads, throttling, pagination, the registry's chunk size and Locations, restarted
// uploads, proxies. Each test runs a small HTTP server on 127.0.0.1 that answers as a registry
// would.
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { indexManifests, RegistryClient, RegistryError } from '#shared/oci/client.js';
import { staticCredentials } from '#shared/oci/credentials.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyLength: number;
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler, options: { readBody?: boolean } = {}) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const done = () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength: body.length });
      handler(req, res, body);
    };
    if (options.readBody === false) {
      done();
      return;
    }
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', done);
    req.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const s = {
    seen,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  servers.push(s);
  return s;
}

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const fast = { retries: 3, minDelayMs: 1, maxDelayMs: 5 };
const newClient = (extra: ConstructorParameters<typeof RegistryClient>[0] = {}) =>
  new RegistryClient({ credentials: async () => undefined, retry: fast, ...extra });

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const ociError = (code: string, message: string) => JSON.stringify({ errors: [{ code, message }] });

describe('blob downloads', () => {
  const content = Buffer.from('x'.repeat(50_000) + 'y'.repeat(50_000));
  const digest = sha256(content);

  it('follows a redirect to another host without the Authorization header', async () => {
    const storage = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(content.length) });
      res.end(content);
    });
    const registry = await serve((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' });
        res.end();
        return;
      }
      // a relative Location first (same host: credentials stay), then the storage host
      if (req.url?.startsWith('/v2/')) {
        res.writeHead(307, { location: `../../../../redirected/${digest}` });
      } else {
        res.writeHead(302, { location: `${storage.url}/bucket/blob?X-Signature=presigned-secret` });
      }
      res.end();
    });
    const client = newClient({
      credentials: staticCredentials({ [registry.host]: { username: 'u', password: 'pw-secret' } }),
    });
    const logs: string[] = [];
    const withLog = newClient({
      credentials: staticCredentials({ [registry.host]: { username: 'u', password: 'pw-secret' } }),
      logger: { debug: (m) => logs.push(m) },
    });
    const repo = { registry: registry.host, repository: 'a/b' };
    expect((await collect(await client.getBlob(repo, digest))).equals(content)).toBe(true);
    expect(registry.seen.map((s) => s.url)).toEqual([
      `/v2/a/b/blobs/${digest}`,
      `/v2/a/b/blobs/${digest}`,
      `/redirected/${digest}`,
    ]);
    expect(registry.seen[2]!.headers.authorization).toMatch(/^Basic /);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]!.url).toBe('/bucket/blob?X-Signature=presigned-secret');
    expect(storage.seen[0]!.headers.authorization).toBeUndefined();

    await collect(await withLog.getBlob(repo, digest));
    expect(logs.join('\n')).not.toContain('presigned-secret');
    await Promise.all([client.close(), withLog.close()]);
  });

  it('resumes a cut-off download with a Range request', async () => {
    let first = true;
    const registry = await serve((req, res) => {
      const range = req.headers.range;
      if (first) {
        first = false;
        res.writeHead(200, { 'content-length': String(content.length) });
        res.write(content.subarray(0, 30_000), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);
      res.writeHead(206, {
        'content-length': String(content.length - start),
        'content-range': `bytes ${start}-${content.length - 1}/${content.length}`,
      });
      res.end(content.subarray(start));
    });
    const client = newClient();
    const got = await collect(await client.getBlob({ registry: registry.host, repository: 'r' }, digest));
    expect(got.equals(content)).toBe(true);
    expect(registry.seen.map((s) => s.headers.range)).toEqual([undefined, 'bytes=30000-']);
    await client.close();
  });

  it('resumes from the start when the registry ignores Range, skipping what it already has', async () => {
    let first = true;
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(content.length) });
      if (first) {
        first = false;
        res.write(content.subarray(0, 70_000), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(content);
    });
    const client = newClient();
    const got = await collect(await client.getBlob({ registry: registry.host, repository: 'r' }, digest));
    expect(got.equals(content)).toBe(true);
    await client.close();
  });
});

describe('retries and errors', () => {
  it('waits as Retry-After says on 429 and then succeeds', async () => {
    let calls = 0;
    const registry = await serve((_req, res) => {
      calls++;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' });
        res.end(ociError('TOOMANYREQUESTS', 'slow down'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'r', tags: ['b', 'a'] }));
    });
    const client = newClient();
    expect(await client.listTags({ registry: registry.host, repository: 'r' })).toEqual(['a', 'b']);
    expect(calls).toBe(2);
    await client.close();
  });

  it('gives up on 5xx after the retries, quoting the registry error, and never retries 403', async () => {
    const registry = await serve((req, res) => {
      if (req.url?.includes('denied')) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(ociError('DENIED', 'requested access to the resource is denied'));
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(ociError('UNAVAILABLE', 'maintenance'));
    });
    const client = newClient();
    const err = await client.getManifest({ registry: registry.host, repository: 'r' }, 'v1').catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(
      `getting manifest ${registry.host}/r:v1: the registry failed (HTTP 503) (HTTP 503 UNAVAILABLE maintenance)`,
    );
    expect(err.status).toBe(503);
    expect(err.code).toBe('UNAVAILABLE');
    expect(registry.seen).toHaveLength(4);

    registry.seen.length = 0;
    const denied = await client.getManifest({ registry: registry.host, repository: 'denied' }, 'v1').catch((e) => e);
    expect(denied.message).toBe(
      `getting manifest ${registry.host}/denied:v1: denied: anonymous pull is not allowed on ${registry.host}/denied (HTTP 403 DENIED requested access to the resource is denied)`,
    );
    expect(registry.seen).toHaveLength(1);
    await client.close();
  });

  it('names the registry error of a refused manifest', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(ociError('MANIFEST_INVALID', 'manifest invalid'));
    });
    const client = newClient();
    const err = await client
      .putManifest(
        { registry: registry.host, repository: 'r' },
        'v1',
        Buffer.from('{}'),
        'application/vnd.oci.image.manifest.v1+json',
      )
      .catch((e) => e);
    expect(err.message).toBe(
      `pushing manifest ${registry.host}/r:v1: the registry refused the request (HTTP 400 MANIFEST_INVALID manifest invalid)`,
    );
    expect(registry.seen).toHaveLength(1);
    await client.close();
  });

  it('refuses a manifest whose bytes do not match the digest asked for', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end('{"schemaVersion":2}');
    });
    const client = newClient({ retry: { retries: 0 } });
    const wanted = sha256('something else');
    await expect(client.getManifest({ registry: registry.host, repository: 'r' }, wanted)).rejects.toThrow(
      `the manifest the registry sent has digest ${sha256('{"schemaVersion":2}')}, expected ${wanted}`,
    );
    await client.close();
  });
});

describe('tag listing', () => {
  it('follows relative and absolute Link headers and accepts "tags": null', async () => {
    const registry = await serve((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      const last = url.searchParams.get('last');
      res.setHeader('content-type', 'application/json');
      if (!last) {
        res.setHeader('link', '</v2/r/tags/list?n=1000&last=c>; rel="next"');
        res.end(JSON.stringify({ name: 'r', tags: ['c', 'a'] }));
      } else if (last === 'c') {
        res.setHeader('link', `<http://${req.headers.host}/v2/r/tags/list?n=1000&last=e>; rel="next"`);
        res.end(JSON.stringify({ name: 'r', tags: ['e', 'b', 'a'] }));
      } else {
        res.end(JSON.stringify({ name: 'r', tags: null }));
      }
    });
    const client = newClient();
    expect(await client.listTags({ registry: registry.host, repository: 'r' })).toEqual(['a', 'b', 'c', 'e']);
    expect(registry.seen.map((s) => s.url)).toEqual([
      '/v2/r/tags/list?n=1000',
      '/v2/r/tags/list?n=1000&last=c',
      '/v2/r/tags/list?n=1000&last=e',
    ]);
    await client.close();
  });
});

describe('blob uploads', () => {
  it('sends chunks of the registry minimum size, each to the Location the last answer gave', async () => {
    const blob = Buffer.alloc(7_000_000, 7);
    const digest = sha256(blob);
    let step = 0;
    let received = 0;
    const registry = await serve((req, res, body) => {
      if (req.method === 'HEAD') {
        res.writeHead(404);
        res.end();
      } else if (req.method === 'POST') {
        res.writeHead(202, { location: '/upload/s?step=0', 'oci-chunk-min-length': '3000000' });
        res.end();
      } else if (req.method === 'PATCH') {
        expect(req.url).toBe(`/upload/s?step=${step}`);
        expect(req.headers['content-range']).toBe(`${received}-${received + body.length - 1}`);
        received += body.length;
        step++;
        res.writeHead(202, {
          location: `http://${req.headers.host}/upload/s?step=${step}`,
          range: `0-${received - 1}`,
        });
        res.end();
      } else if (req.method === 'PUT') {
        expect(req.url).toBe(`/upload/s?step=${step}&digest=${encodeURIComponent(digest)}`);
        res.writeHead(201, { 'docker-content-digest': digest });
        res.end();
      }
    });
    const client = newClient({ monolithicMaxBytes: 1 << 20, chunkBytes: 1 << 20 });
    const transfer = await client.pushBlob(
      { registry: registry.host, repository: 'r' },
      { digest, size: blob.length },
      () => Readable.from([blob]),
    );
    expect(transfer).toBe('uploaded');
    expect(registry.seen.filter((s) => s.method === 'PATCH').map((s) => s.bodyLength)).toEqual([
      3_000_000, 3_000_000, 1_000_000,
    ]);
    expect(received).toBe(blob.length);
    await client.close();
  });

  it('starts over on 503 and reports the registry error once the retries are spent', async () => {
    const blob = Buffer.from('some layer');
    const digest = sha256(blob);
    const registry = await serve((req, res) => {
      if (req.method === 'HEAD') res.writeHead(404);
      else if (req.method === 'POST') res.writeHead(202, { location: '/upload/x' });
      else if (req.method === 'DELETE') res.writeHead(204);
      else res.writeHead(503, { 'content-type': 'application/json' });
      res.end(req.method === 'PUT' ? ociError('UNAVAILABLE', 'storage backend down') : undefined);
    });
    const client = newClient();
    let bodies = 0;
    const err = await client
      .pushBlob({ registry: registry.host, repository: 'r' }, { digest, size: blob.length }, () => {
        bodies++;
        return Readable.from([blob]);
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe(
      `pushing blob ${digest} to ${registry.host}/r: the registry failed (HTTP 503) (HTTP 503 UNAVAILABLE storage backend down)`,
    );
    expect(bodies).toBe(4);
    expect(registry.seen.filter((s) => s.method === 'POST')).toHaveLength(4);
    await client.close();
  });

  it('starts an upload over from a fresh stream when the connection breaks', async () => {
    const blob = Buffer.alloc(200_000, 3);
    const digest = sha256(blob);
    let puts = 0;
    const registry = await serve(
      (req, res) => {
        if (req.method === 'HEAD') {
          res.writeHead(404);
          res.end();
        } else if (req.method === 'POST') {
          res.writeHead(202, { location: `/upload/${Math.random()}` });
          res.end();
        } else if (req.method === 'DELETE') {
          res.writeHead(204);
          res.end();
        } else if (req.method === 'PUT') {
          puts++;
          if (puts === 1) {
            req.once('data', () => req.socket.destroy());
            return;
          }
          req.resume();
          req.on('end', () => {
            res.writeHead(201, { 'docker-content-digest': digest });
            res.end();
          });
        }
      },
      { readBody: false },
    );
    const client = newClient();
    let bodies = 0;
    const transfer = await client.pushBlob(
      { registry: registry.host, repository: 'r' },
      { digest, size: blob.length },
      () => {
        bodies++;
        return Readable.from([blob.subarray(0, 100_000), blob.subarray(100_000)]);
      },
    );
    expect(transfer).toBe('uploaded');
    expect(bodies).toBe(2);
    expect(registry.seen.filter((s) => s.method === 'POST')).toHaveLength(2);
    await client.close();
  });

  /** A registry that takes uploads either way and records every request of them. */
  async function uploadRegistry(options: { postHeaders?: Record<string, string>; putStatus?: number } = {}) {
    const stored = new Map<string, Buffer>();
    const sessions = new Map<string, Buffer[]>();
    let n = 0;
    let refusals = 0;
    const registry = await serve((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const id = url.pathname.split('/').at(-1) ?? '';
      if (req.method === 'HEAD') {
        res.writeHead(404);
      } else if (req.method === 'POST') {
        const session = `s${++n}`;
        sessions.set(session, []);
        res.writeHead(202, { location: `/v2/r/blobs/uploads/${session}`, ...options.postHeaders });
      } else if (req.method === 'PATCH') {
        sessions.get(id)?.push(body);
        res.writeHead(202, { location: `/v2/r/blobs/uploads/${id}` });
      } else if (req.method === 'DELETE') {
        sessions.delete(id);
        res.writeHead(204);
      } else if (req.method === 'PUT' && body.length > 0 && options.putStatus && refusals++ === 0) {
        res.writeHead(options.putStatus);
      } else if (req.method === 'PUT') {
        const all = Buffer.concat([...(sessions.get(id) ?? []), body]);
        // as a registry does, the digest is checked before anything is stored
        const digest = url.searchParams.get('digest') ?? '';
        if (sha256(all) === digest) stored.set(digest, all);
        res.writeHead(sha256(all) === digest ? 201 : 400, { 'docker-content-digest': digest });
      }
      res.end();
    });
    const requests = () =>
      registry.seen.map(
        (s) => `${s.method} ${s.headers['content-length'] ?? '-'}${s.headers['content-range'] ? ' range' : ''}`,
      );
    return { ...registry, stored, requests };
  }

  it('streams a blob of known size in one PUT with its Content-Length, whatever its size', async () => {
    const blob = Buffer.alloc(40_000_000, 5);
    const digest = sha256(blob);
    const registry = await uploadRegistry();
    const client = newClient();
    let bodies = 0;
    const transfer = await client.pushBlob(
      { registry: registry.host, repository: 'r' },
      { digest, size: blob.length },
      () => {
        bodies++;
        // 1 MiB pieces: the client never sees the blob as one buffer
        return Readable.from(Array.from({ length: 40 }, (_, i) => blob.subarray(i * 1_000_000, (i + 1) * 1_000_000)));
      },
    );
    expect(transfer).toBe('uploaded');
    expect(bodies).toBe(1);
    expect(registry.requests()).toEqual(['HEAD -', 'POST 0', 'PUT 40000000']);
    expect(registry.seen[2]!.url).toBe(`/v2/r/blobs/uploads/s1?digest=${encodeURIComponent(digest)}`);
    expect(registry.seen[2]!.headers['content-type']).toBe('application/octet-stream');
    expect(registry.stored.get(digest)?.equals(blob)).toBe(true);
    await client.close();
  });

  it('sends chunks when the size is unknown', async () => {
    const blob = Buffer.alloc(2_500_000, 6);
    const digest = sha256(blob);
    const registry = await uploadRegistry();
    const client = newClient({ chunkBytes: 1_000_000 });
    await client.pushBlob({ registry: registry.host, repository: 'r' }, { digest, size: -1 }, () =>
      Readable.from([blob]),
    );
    expect(registry.requests()).toEqual([
      'HEAD -',
      'POST 0',
      'PATCH 1000000 range',
      'PATCH 1000000 range',
      'PATCH 500000 range',
      'PUT 0',
    ]);
    expect(registry.stored.get(digest)?.equals(blob)).toBe(true);
    await client.close();
  });

  it.each([413, 416])('starts over in chunks when the registry answers the single PUT with %i', async (status) => {
    const blob = Buffer.alloc(2_500_000, 8);
    const digest = sha256(blob);
    const registry = await uploadRegistry({ putStatus: status });
    const client = newClient({ chunkBytes: 1_000_000 });
    let bodies = 0;
    const body = () => {
      bodies++;
      return Readable.from([blob]);
    };
    const repo = { registry: registry.host, repository: 'r' };
    expect(await client.pushBlob(repo, { digest, size: blob.length }, body)).toBe('uploaded');
    expect(bodies).toBe(2);
    expect(registry.requests()).toEqual([
      'HEAD -',
      'POST 0',
      'PUT 2500000',
      'DELETE -',
      'POST 0',
      'PATCH 1000000 range',
      'PATCH 1000000 range',
      'PATCH 500000 range',
      'PUT 0',
    ]);
    expect(registry.stored.get(digest)?.equals(blob)).toBe(true);
    await client.close();
  });

  it('sends chunks within the OCI-Chunk-Max-Length and OCI-Chunk-Min-Length the session announces', async () => {
    const blob = Buffer.alloc(2_500_000, 9);
    const digest = sha256(blob);
    const registry = await uploadRegistry({
      postHeaders: { 'oci-chunk-max-length': '1200000', 'oci-chunk-min-length': '600000' },
    });
    // 500 kB chunks are below the minimum, 16 MiB (the default) above the maximum
    for (const chunkBytes of [500_000, undefined]) {
      const client = newClient({ chunkBytes });
      await client.pushBlob({ registry: registry.host, repository: 'r' }, { digest, size: blob.length }, () =>
        Readable.from([blob]),
      );
      await client.close();
    }
    expect(registry.requests()).toEqual([
      ...['HEAD -', 'POST 0', 'PATCH 600000 range', 'PATCH 600000 range', 'PATCH 600000 range'],
      ...['PATCH 600000 range', 'PATCH 100000 range', 'PUT 0'],
      ...['HEAD -', 'POST 0', 'PATCH 1200000 range', 'PATCH 1200000 range', 'PATCH 100000 range', 'PUT 0'],
    ]);
    expect(registry.stored.get(digest)?.equals(blob)).toBe(true);
  });

  it('never completes an upload of downloaded content that does not match its digest', async () => {
    const good = Buffer.alloc(3_000_000, 4);
    const digest = sha256(good);
    const tampered = Buffer.from(good);
    tampered[2_999_999] = 5;
    const source = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(tampered.length) });
      res.end(tampered);
    });
    const target = await uploadRegistry();
    const client = newClient({ retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2 } });
    const err = await client
      .pushBlob({ registry: target.host, repository: 'r' }, { digest, size: good.length }, () =>
        client.getBlob({ registry: source.host, repository: 's' }, digest),
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toContain(`has digest ${sha256(tampered)}, expected ${digest}`);
    // the last chunk was held back: the PUT broke off short of its Content-Length, never ended
    expect(target.stored.size).toBe(0);
    expect(target.requests().filter((r) => r.startsWith('PUT'))).toEqual([]);
    await client.close();
  });

  it('reads the blob no faster than the registry takes it: memory stays bounded', async () => {
    // 256 MiB from one 64 KiB piece; the registry stops reading after 8 MiB for a while. Whatever
    // was produced but not received by then sits in buffers: it must stay far below the blob size.
    const piece = Buffer.alloc(65536, 1);
    const pieces = 4096;
    const hash = createHash('sha256');
    for (let i = 0; i < pieces; i++) hash.update(piece);
    const digest = `sha256:${hash.digest('hex')}`;
    const size = piece.length * pieces;
    let produced = 0;
    let received = 0;
    let inFlightAtPause = -1;
    const registry = await serve(
      (req, res) => {
        if (req.method === 'HEAD') {
          res.writeHead(404);
          res.end();
        } else if (req.method === 'POST') {
          res.writeHead(202, { location: '/upload/1' });
          res.end();
        } else if (req.method === 'PUT') {
          let paused = false;
          req.on('data', (c: Buffer) => {
            received += c.length;
            if (!paused && received >= 8 * 1024 * 1024) {
              paused = true;
              req.pause();
              setTimeout(() => {
                inFlightAtPause = produced - received;
                req.resume();
              }, 500);
            }
          });
          req.on('end', () => {
            res.writeHead(201, { 'docker-content-digest': digest });
            res.end();
          });
        }
      },
      { readBody: false },
    );
    const client = newClient();
    const source = () => {
      let sent = 0;
      return new Readable({
        read() {
          if (sent === pieces) this.push(null);
          else {
            sent++;
            produced += piece.length;
            this.push(piece);
          }
        },
      });
    };
    expect(await client.pushBlob({ registry: registry.host, repository: 'r' }, { digest, size }, source)).toBe(
      'uploaded',
    );
    expect(received).toBe(size);
    expect(inFlightAtPause).toBeGreaterThanOrEqual(0);
    expect(inFlightAtPause).toBeLessThan(32 * 1024 * 1024);
    await client.close();
  });
});

describe('cross-repository mounts', () => {
  it('uploads when a Harbor-like registry answers the mount with 401 even after authentication', async () => {
    const blob = Buffer.from('layer bytes');
    const digest = sha256(blob);
    const registry = await serve((req, res) => {
      if (!req.headers.authorization || req.url?.includes('mount=')) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="harbor"', 'content-type': 'application/json' });
        res.end(ociError('UNAUTHORIZED', 'unauthorized to access repository'));
      } else if (req.method === 'HEAD') {
        res.writeHead(404);
        res.end();
      } else if (req.method === 'POST') {
        res.writeHead(202, { location: '/upload/1' });
        res.end();
      } else {
        res.writeHead(201, { 'docker-content-digest': digest });
        res.end();
      }
    });
    const client = newClient({
      credentials: staticCredentials({ [registry.host]: { username: 'u', password: 'p-secret' } }),
    });
    const to = { registry: registry.host, repository: 'proj/dst' };
    const from = { registry: registry.host, repository: 'other/src' };
    expect(await client.mountBlob(to, digest, from)).toBe(false);
    expect(
      await client.pushBlob(to, { digest, size: blob.length }, () => Readable.from([blob]), { mountFrom: from }),
    ).toBe('uploaded');
    expect(registry.seen.filter((s) => s.method === 'PUT')).toHaveLength(1);
    await client.close();
  });
});

describe('proxies', () => {
  it('sends registry traffic through HTTPS_PROXY/HTTP_PROXY and keeps loopback direct', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'r', tags: ['v1'] }));
    });
    const tunnels: string[] = [];
    const proxy = http.createServer();
    proxy.on('connect', (req, socket, head) => {
      tunnels.push(req.url ?? '');
      // every tunnel goes to the local registry, whatever host was asked for
      const upstream = net.connect(Number(registry.host.split(':')[1]), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    servers.push({
      close: () =>
        new Promise<void>((r) => {
          proxy.closeAllConnections();
          proxy.close(() => r());
        }),
    });
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const client = newClient({
      env: { HTTP_PROXY: proxyUrl, NO_PROXY: 'direct.example' },
      plainHttp: () => true,
    });
    expect(await client.listTags({ registry: 'registry.example:5000', repository: 'r' })).toEqual(['v1']);
    expect(tunnels).toEqual(['registry.example:5000']);
    expect(await client.listTags({ registry: registry.host, repository: 'r' })).toEqual(['v1']);
    expect(tunnels).toHaveLength(1);
    await client.close();
  });
});

describe('indexManifests', () => {
  it('reads the entries of an index with their platforms', () => {
    const json = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256('a'),
          size: 10,
          platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha256('b'),
          size: 11,
          platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1' },
          annotations: { 'vnd.docker.reference.type': 'x', bad: 1 },
        },
        { mediaType: 'x', digest: sha256('c') },
      ],
    };
    expect(indexManifests({ json })).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256('a'),
        size: 10,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: sha256('b'),
        size: 11,
        platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' },
        annotations: { 'vnd.docker.reference.type': 'x' },
      },
    ]);
    expect(indexManifests({ json: { schemaVersion: 2, layers: [] } })).toEqual([]);
  });
});
