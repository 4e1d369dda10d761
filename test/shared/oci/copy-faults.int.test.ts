// A cross-registry copy through fault proxies: throttling (429 + Retry-After), 503, and
// connections reset in the middle of a blob download and of a blob upload are retried and the
// result is byte-exact; a 403 stops the copy at once, is not retried, and leaves no target tag.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RegistryClient } from '#shared/oci/client.js';
import { copyImage } from '#shared/oci/copy.js';
import { walkGraph } from '#shared/oci/graph.js';
import { FaultProxy } from './fault-proxy.js';
import { buildMultiPlatform, skopeoDigest, uniqueName } from './image-fixtures.js';

const stack = inject('stack');

describe('copyImage through a misbehaving network', () => {
  const debug: string[] = [];
  const client = new RegistryClient({
    credentials: async () => undefined,
    retry: { retries: 4, minDelayMs: 20, maxDelayMs: 2000 },
    logger: { debug: (msg) => debug.push(msg) },
  });
  const repository = uniqueName('faults/src');
  let source: FaultProxy;
  let target: FaultProxy;

  beforeAll(async () => {
    await buildMultiPlatform(stack.anonymous.host, repository, 'v1', stack.busybox);
    source = await FaultProxy.start(stack.anonymous.url);
    target = await FaultProxy.start(stack.anonymous2.url);
  }, 120_000);

  afterAll(async () => {
    await source?.close();
    await target?.close();
  });

  it('retries 429, 503 and connection resets and copies every byte', async () => {
    source.clear();
    target.clear();
    const fired = [
      source.inject({
        method: 'GET',
        path: /\/blobs\/sha256:/,
        nth: 1,
        fault: { kind: 'reset-response', afterBytes: 20_000 },
      }),
      source.inject({
        method: 'GET',
        path: /\/blobs\/sha256:/,
        nth: 2,
        fault: { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
      }),
      source.inject({ method: 'GET', path: /\/manifests\//, nth: 2, fault: { kind: 'status', status: 503 } }),
      target.inject({ path: /\/blobs\/uploads\/[^?]/, nth: 1, fault: { kind: 'reset-request', afterBytes: 10_000 } }),
      target.inject({ method: 'PUT', path: /\/manifests\//, nth: 1, fault: { kind: 'status', status: 503 } }),
    ];
    const dst = { registry: target.host, repository: uniqueName('faults/dst'), tag: 'v1' };
    const r = await copyImage(client, { registry: source.host, repository, tag: 'v1' }, dst);
    expect(fired.map((f) => f())).toEqual([1, 1, 1, 1, 1]);
    // The client said why it retried: the throttling answer, with the delay it asked for.
    expect(debug.filter((l) => /HTTP 429; retry 1\/4 in 1000 ms/.test(l))).toHaveLength(1);
    expect(debug.filter((l) => /HTTP 503; retry/.test(l))).toHaveLength(2);
    expect(new Set(r.blobs.map((b) => b.transfer))).toEqual(new Set(['uploaded']));

    // What arrived is what the source holds, read without the proxies.
    const graph = await walkGraph(client, { registry: stack.anonymous.host, repository }, 'v1', { referrers: 'none' });
    expect(r.digest).toBe(graph.root);
    for (const node of graph.manifests()) {
      expect(await skopeoDigest(stack.skopeo, `${stack.anonymous2.host}/${dst.repository}@${node.digest}`)).toBe(
        node.digest,
      );
    }
    const dstRepo = { registry: stack.anonymous2.host, repository: dst.repository };
    for (const blob of graph.blobs()) {
      // getBlobBytes verifies the digest of what it reads.
      expect((await client.getBlobBytes(dstRepo, blob.digest, 64 << 20)).length).toBe(blob.size);
    }
  }, 120_000);

  it('fails at once on 403, without retrying, and writes no target tag', async () => {
    source.clear();
    target.clear();
    debug.length = 0;
    const fired = target.inject({
      method: 'POST',
      path: /\/blobs\/uploads\/(\?|$)/,
      times: 100,
      fault: { kind: 'status', status: 403 },
    });
    const dst = { registry: target.host, repository: uniqueName('faults/denied'), tag: 'v1' };
    const err = await copyImage(client, { registry: source.host, repository, tag: 'v1' }, dst, { concurrency: 1 }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/403|denied/i);
    expect(err!.message).toContain(dst.repository);
    expect(fired()).toBe(1);
    expect(debug.filter((l) => /retry/.test(l))).toEqual([]);
    expect(await client.headManifest({ registry: stack.anonymous2.host, repository: dst.repository }, 'v1')).toBeNull();
  }, 60_000);
});
