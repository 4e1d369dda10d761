// Image graphs whose attachments loop back (anyone with push access can tag a manifest as its own
// signature, or list it in its own referrers index): the walk must end, keep every edge that is
// not a self-edge, warn about the self-edges it ignores, and push order must still exist.
import { describe, expect, it } from 'vitest';
import { walkGraph } from '#shared/oci/graph.js';
import { cosignTag, referrersTag } from '#shared/oci/referrers.js';
import { blob, imageManifest, MemoryRegistry, OCI_INDEX } from './memory-registry.js';

const repo = { registry: '127.0.0.1:5000', repository: 'app' };
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

function image(reg: MemoryRegistry, name: string, tag?: string) {
  return reg.add(imageManifest(blob(CONFIG, `config ${name}`), [blob(LAYER, `layer ${name}`)]), tag);
}

function capture() {
  const warnings: string[] = [];
  return { warnings, logger: { debug: () => {}, warning: (m: string) => warnings.push(m) } };
}

describe('walkGraph on graphs with cycles', () => {
  it('ignores a manifest tagged as its own cosign signature, with a warning', async () => {
    const reg = new MemoryRegistry(false);
    const d = image(reg, 'd', 'v1');
    reg.tagMap.set(cosignTag(d.digest, 'sig'), d.digest);
    const { warnings, logger } = capture();
    const graph = await walkGraph(reg, repo, 'v1', { logger });
    expect([...graph.nodes.keys()].filter((k) => graph.node(k)?.kind !== 'blob')).toEqual([d.digest]);
    expect(graph.edges.filter((e) => e.from === e.to)).toEqual([]);
    expect(warnings).toEqual([
      `${repo.registry}/${repo.repository}@${d.digest} is tagged as its own attachment (${cosignTag(d.digest, 'sig')}); that tag is ignored`,
    ]);
    expect(graph.pushWaves().map((w) => w.map((n) => n.digest))).toEqual([[d.digest]]);
  });

  it('ignores a referrers index that lists its own subject, with a warning', async () => {
    const reg = new MemoryRegistry(false);
    const e = image(reg, 'e', 'v1');
    const index = reg.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [e] }, referrersTag(e.digest));
    const { warnings, logger } = capture();
    const graph = await walkGraph(reg, repo, 'v1', { logger });
    expect(graph.edges.filter((x) => x.kind === 'referrer')).toEqual([]);
    expect(graph.edges.filter((x) => x.kind === 'referrers-index')).toEqual([
      { from: e.digest, to: index.digest, kind: 'referrers-index', tag: referrersTag(e.digest) },
    ]);
    expect(warnings).toEqual([
      `${repo.registry}/${repo.repository}@${e.digest} is listed as its own referrer (in ${referrersTag(e.digest)}); that entry is ignored`,
    ]);
  });

  it('records both edges of two manifests signing each other and orders their push', async () => {
    const reg = new MemoryRegistry(false);
    const f = image(reg, 'f', 'v1');
    const g = image(reg, 'g');
    reg.tagMap.set(cosignTag(f.digest, 'sig'), g.digest);
    reg.tagMap.set(cosignTag(g.digest, 'sig'), f.digest);
    const graph = await walkGraph(reg, repo, 'v1');
    expect(
      graph.edges
        .filter((x) => x.kind === 'cosign-tag')
        .map((x) => [x.from, x.to])
        .sort(),
    ).toEqual(
      [
        [f.digest, g.digest],
        [g.digest, f.digest],
      ].sort(),
    );
    // neither needs the other to be pushed: the cycle is broken, each pushed once
    const waves = graph.pushWaves();
    expect(
      waves
        .flat()
        .map((n) => n.digest)
        .sort(),
    ).toEqual([f.digest, g.digest].sort());
  });

  it('ends on cycles that cross branches walked in parallel (each waits on the other)', async () => {
    const reg = new MemoryRegistry(false);
    const a = image(reg, 'a');
    const b = image(reg, 'b');
    const root = reg.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [a, b] }, 'v1');
    // a's signature is b, b's signature is a: both reached as children first
    reg.tagMap.set(cosignTag(a.digest, 'sig'), b.digest);
    reg.tagMap.set(cosignTag(b.digest, 'sig'), a.digest);
    const graph = await walkGraph(reg, repo, 'v1', { concurrency: 4 });
    expect(graph.root).toBe(root.digest);
    expect(graph.outgoing(a.digest, ['cosign-tag']).map((x) => x.to)).toEqual([b.digest]);
    expect(graph.outgoing(b.digest, ['cosign-tag']).map((x) => x.to)).toEqual([a.digest]);
    const waves = graph.pushWaves();
    // children before their index even when the attachments loop
    expect(waves.at(-1)?.map((n) => n.digest)).toEqual([root.digest]);
  });
});
