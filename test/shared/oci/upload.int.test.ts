// Blob uploads against the real registry, seen through a local proxy: one streamed PUT per blob
// by default; PATCH chunks when the registry announces OCI-Chunk-Max-Length or a proxy in front
// of it refuses the single request with 413; a retried upload starts over with a fresh session
// and a fresh body stream. The proxy's request list and the registry's access log count what
// went over the wire.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient, type RegistryClientOptions } from '#shared/oci/client.js';
import { countRequests } from '../../stack/helpers.js';
import { FaultProxy, type ProxiedRequest } from './fault-proxy.js';
import { uniqueName } from './image-fixtures.js';

const stack = inject('stack');

/** Deterministic content in 64 KiB pieces, generated as it is read. */
function pattern(size: number, seed: string): Readable {
  let sent = 0;
  let n = 0;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const piece = Buffer.alloc(Math.min(65536, size - sent), createHash('sha256').update(`${seed}:${n++}`).digest());
      sent += piece.length;
      this.push(piece);
    },
  });
}

async function described(size: number, seed: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  for await (const chunk of pattern(size, seed)) hash.update(chunk as Buffer);
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** The upload requests the proxy saw for one repository, as `METHOD status bodyBytes`. */
function uploads(proxy: FaultProxy, repository: string): string[] {
  return proxy.requests
    .filter((r: ProxiedRequest) => r.path.startsWith(`/v2/${repository}/blobs/uploads/`))
    .map((r) => `${r.method} ${r.status ?? 'cut'} ${r.bodyBytes ?? '-'}`);
}

describe('blob uploads through a proxy in front of the registry', () => {
  let proxy: FaultProxy;
  const clients: RegistryClient[] = [];
  const client = (extra: RegistryClientOptions = {}) => {
    const c = new RegistryClient({
      credentials: async () => undefined,
      retry: { retries: 3, minDelayMs: 5, maxDelayMs: 20 },
      ...extra,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    proxy = await FaultProxy.start(stack.anonymous.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await proxy?.close();
  });

  it('sends each blob in one streamed PUT carrying its whole size', async () => {
    const repository = uniqueName('upload/single');
    const c = client();
    const repo = { registry: proxy.host, repository };
    const blobs = [await described(3_000_000, 'a'), await described(70_000, 'b')];
    for (const [i, b] of blobs.entries()) {
      expect(await c.pushBlob(repo, b, () => pattern(b.size, i === 0 ? 'a' : 'b'))).toBe('uploaded');
    }
    expect(uploads(proxy, repository)).toEqual(['POST 202 0', 'PUT 201 3000000', 'POST 202 0', 'PUT 201 70000']);
    // the registry agrees: one PUT per blob, no PATCH
    const path = new RegExp(`^/v2/${repository}/blobs/uploads/`);
    expect(countRequests(stack.anonymous.logFile, { method: 'PUT', path, status: 201 })).toBe(2);
    expect(countRequests(stack.anonymous.logFile, { method: 'PATCH', path })).toBe(0);
    for (const b of blobs)
      expect(await c.headBlob({ registry: stack.anonymous.host, repository }, b.digest)).toEqual({ size: b.size });
  });

  it('sends chunks no larger than the OCI-Chunk-Max-Length the registry announces', async () => {
    const repository = uniqueName('upload/max-chunk');
    proxy.inject({
      method: 'POST',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      times: 100,
      fault: { kind: 'add-headers', headers: { 'OCI-Chunk-Max-Length': '1000000' } },
    });
    const c = client();
    const repo = { registry: proxy.host, repository };
    const big = await described(2_500_000, 'big');
    const small = await described(900_000, 'small');
    expect(await c.pushBlob(repo, big, () => pattern(big.size, 'big'))).toBe('uploaded');
    // a blob within the limit still goes in one request
    expect(await c.pushBlob(repo, small, () => pattern(small.size, 'small'))).toBe('uploaded');
    expect(uploads(proxy, repository)).toEqual([
      'POST 202 0',
      'PATCH 202 1000000',
      'PATCH 202 1000000',
      'PATCH 202 500000',
      'PUT 201 0',
      'POST 202 0',
      'PUT 201 900000',
    ]);
    const direct = { registry: stack.anonymous.host, repository };
    expect(await c.headBlob(direct, big.digest)).toEqual({ size: big.size });
    expect(await c.headBlob(direct, small.digest)).toEqual({ size: small.size });
  });

  it('falls back to chunks after a 413, and keeps sending chunks to that registry', async () => {
    const repository = uniqueName('upload/too-large');
    // a proxy with a body size limit, as nginx's client_max_body_size: 413 and no hint
    const refused = proxy.inject({
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      minBodyBytes: 1_500_000,
      times: 100,
      fault: { kind: 'status', status: 413, body: '<html>413 Request Entity Too Large</html>' },
    });
    const c = client({ chunkBytes: 1_000_000 });
    const repo = { registry: proxy.host, repository };
    const first = await described(2_200_000, 'first');
    const second = await described(1_600_000, 'second');
    let bodies = 0;
    const body = (seed: string, size: number) => () => {
      bodies++;
      return pattern(size, seed);
    };
    expect(await c.pushBlob(repo, first, body('first', first.size))).toBe('uploaded');
    expect(bodies).toBe(2);
    expect(await c.pushBlob(repo, second, body('second', second.size))).toBe('uploaded');
    expect(bodies).toBe(3);
    expect(refused()).toBe(1);
    expect(uploads(proxy, repository)).toEqual([
      'POST 202 0',
      'PUT 413 2200000',
      'DELETE 204 -',
      'POST 202 0',
      'PATCH 202 1000000',
      'PATCH 202 1000000',
      'PATCH 202 200000',
      'PUT 201 0',
      // the second blob goes in chunks straight away
      'POST 202 0',
      'PATCH 202 1000000',
      'PATCH 202 600000',
      'PUT 201 0',
    ]);
    const direct = { registry: stack.anonymous.host, repository };
    expect(await c.headBlob(direct, first.digest)).toEqual({ size: first.size });
    expect(await c.headBlob(direct, second.digest)).toEqual({ size: second.size });
  });

  it('falls back to chunks when a front proxy answers 413 and drops the connection mid-body', async () => {
    const repository = uniqueName('upload/too-large-closed');
    // nginx and CDNs answer 413 as soon as the headers show the length, and close the connection
    // without reading the body: the client may see the answer or only a broken pipe
    proxy.inject({
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      minBodyBytes: 1_500_000,
      times: 100,
      fault: { kind: 'status', status: 413, close: true, body: '<html>413 Request Entity Too Large</html>' },
    });
    const c = client({ chunkBytes: 1_000_000, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 1 } });
    const repo = { registry: proxy.host, repository };
    const blob = await described(8_000_000, 'closed');
    expect(await c.pushBlob(repo, blob, () => pattern(blob.size, 'closed'))).toBe('uploaded');
    const seen = uploads(proxy, repository);
    expect(seen.filter((l) => l.startsWith('PATCH'))).toEqual([...Array(8)].map(() => 'PATCH 202 1000000'));
    expect(seen.at(-1)).toBe('PUT 201 0');
    const direct = { registry: stack.anonymous.host, repository };
    expect(await c.headBlob(direct, blob.digest)).toEqual({ size: blob.size });
  });

  it('halves a chunk the registry refuses with 413, and keeps the smaller size for later blobs', async () => {
    const repository = uniqueName('upload/patch-413');
    // a body limit of 600 kB in front of the registry: the single PUT and 1 MB chunks are refused
    proxy.inject({
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      minBodyBytes: 600_000,
      times: 100,
      fault: { kind: 'status', status: 413, body: '<html>413 Request Entity Too Large</html>' },
    });
    const c = client({ chunkBytes: 1_000_000 });
    const repo = { registry: proxy.host, repository };
    const first = await described(2_200_000, 'patch-first');
    const second = await described(1_200_000, 'patch-second');
    expect(await c.pushBlob(repo, first, () => pattern(first.size, 'patch-first'))).toBe('uploaded');
    expect(await c.pushBlob(repo, second, () => pattern(second.size, 'patch-second'))).toBe('uploaded');
    expect(uploads(proxy, repository)).toEqual([
      'POST 202 0',
      'PUT 413 2200000',
      'DELETE 204 -',
      'POST 202 0',
      // the first chunk is refused, then sent in halves; the rest of the blob goes in halves too
      'PATCH 413 1000000',
      'PATCH 202 500000',
      'PATCH 202 500000',
      'PATCH 202 500000',
      'PATCH 202 500000',
      'PATCH 202 200000',
      'PUT 201 0',
      // the next blob starts with the size learned
      'POST 202 0',
      'PATCH 202 500000',
      'PATCH 202 500000',
      'PATCH 202 200000',
      'PUT 201 0',
    ]);
    const direct = { registry: stack.anonymous.host, repository };
    expect(await c.headBlob(direct, first.digest)).toEqual({ size: first.size });
    expect(await c.headBlob(direct, second.digest)).toEqual({ size: second.size });
  });

  it('uses the OCI-Chunk-Max-Length a 413 answer names', async () => {
    const repository = uniqueName('upload/413-hint');
    proxy.inject({
      method: 'PUT',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      minBodyBytes: 0,
      fault: { kind: 'status', status: 413, headers: { 'OCI-Chunk-Max-Length': '700000' } },
    });
    const c = client();
    const repo = { registry: proxy.host, repository };
    const blob = await described(1_500_000, 'hint');
    expect(await c.pushBlob(repo, blob, () => pattern(blob.size, 'hint'))).toBe('uploaded');
    expect(uploads(proxy, repository)).toEqual([
      'POST 202 0',
      'PUT 413 1500000',
      'DELETE 204 -',
      'POST 202 0',
      'PATCH 202 700000',
      'PATCH 202 700000',
      'PATCH 202 100000',
      'PUT 201 0',
    ]);
  });

  it('restarts a single PUT cut mid-body with a fresh session and a fresh body stream', async () => {
    const repository = uniqueName('upload/reset');
    const cut = proxy.inject({
      method: 'PUT',
      path: new RegExp(`^/v2/${repository}/blobs/uploads/`),
      fault: { kind: 'reset-request', afterBytes: 1_000_000 },
    });
    const c = client();
    const repo = { registry: proxy.host, repository };
    const blob = await described(4_000_000, 'reset');
    let bodies = 0;
    const transfer = await c.pushBlob(repo, blob, () => {
      bodies++;
      return pattern(blob.size, 'reset');
    });
    expect(transfer).toBe('uploaded');
    expect(cut()).toBe(1);
    expect(bodies).toBe(2);
    const seen = uploads(proxy, repository);
    // the cut session is abandoned (cancelled when the registry still knows it), a new one opened
    expect(seen[0]).toBe('POST 202 0');
    expect(seen[1]).toBe('PUT cut 4000000');
    expect(seen.filter((s) => s.startsWith('POST'))).toHaveLength(2);
    expect(seen.at(-1)).toBe('PUT 201 4000000');
    expect(seen.filter((s) => s.startsWith('PATCH'))).toEqual([]);
    expect(await c.headBlob({ registry: stack.anonymous.host, repository }, blob.digest)).toEqual({ size: blob.size });
  });
});
