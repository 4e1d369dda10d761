// promote (the bundle, against the real registry) on source repositories where anyone with push
// access made an attachment loop: a manifest tagged as its own cosign signature, a referrers
// index listing its own subject, two manifests tagged as each other's signature. The walk ends,
// the self-edges are ignored with a warning, and the loop of two is copied whole.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { type Desc, getManifest, listTags, OCI_INDEX, pushImage, putManifest } from './fixtures.js';

const stack = inject('stack');
const anon = stack.anonymous;
let seq = 0;
const uniq = (name: string) => `promote-cycles-${process.pid}-${++seq}/${name}`;
const digestTag = (digest: string) => digest.replace(':', '-');

async function retag(repo: string, desc: Desc, tag: string): Promise<void> {
  const m = await getManifest(anon.url, repo, desc.digest);
  await putManifest(anon.url, repo, tag, JSON.parse(m?.bytes.toString('utf8') as string), desc.mediaType);
}

function promote(inputs: Record<string, string>) {
  return runAction('promote', { inputs, eventName: 'workflow_dispatch', timeoutMs: 90_000 });
}

describe('promote (bundle) on attachment cycles', () => {
  const repo = uniq('app');
  let d: Desc;
  let e: Desc;
  let f: Desc;
  let g: Desc;

  beforeAll(async () => {
    d = (await pushImage(anon.url, repo, { tag: 'self-signed' })).manifest;
    await retag(repo, d, `${digestTag(d.digest)}.sig`);
    e = (await pushImage(anon.url, repo, { tag: 'self-referred' })).manifest;
    await putManifest(
      anon.url,
      repo,
      digestTag(e.digest),
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [e] },
      OCI_INDEX,
    );
    f = (await pushImage(anon.url, repo, { tag: 'loop' })).manifest;
    g = (await pushImage(anon.url, repo)).manifest;
    await retag(repo, g, `${digestTag(f.digest)}.sig`);
    await retag(repo, f, `${digestTag(g.digest)}.sig`);
  });

  it('promotes a manifest tagged as its own signature, ignoring that tag with a warning', async () => {
    const target = uniq('prod');
    const r = await promote({ source: `${anon.host}/${repo}:self-signed`, targets: `${anon.host}/${target}:1.0.0` });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.digest).toBe(d.digest);
    expect(r.warnings).toContain(
      `${anon.host}/${repo}@${d.digest} is tagged as its own attachment (${digestTag(d.digest)}.sig); that tag is ignored`,
    );
    expect(await listTags(anon.url, target)).toEqual(['1.0.0']);
  });

  it('promotes a manifest listed in its own referrers index, ignoring that entry with a warning', async () => {
    const target = uniq('prod');
    const r = await promote({ source: `${anon.host}/${repo}:self-referred`, targets: `${anon.host}/${target}:1.0.0` });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.warnings).toContain(
      `${anon.host}/${repo}@${e.digest} is listed as its own referrer (in ${digestTag(e.digest)}); that entry is ignored`,
    );
    expect((await getManifest(anon.url, target, '1.0.0'))?.digest).toBe(e.digest);
  });

  it('copies two manifests tagged as each other’s signature, both tags included', async () => {
    const target = uniq('prod');
    const r = await promote({ source: `${anon.host}/${repo}:loop`, targets: `${anon.host}/${target}:1.0.0` });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect((await listTags(anon.url, target)).sort()).toEqual(
      ['1.0.0', `${digestTag(f.digest)}.sig`, `${digestTag(g.digest)}.sig`].sort(),
    );
    expect((await getManifest(anon.url, target, `${digestTag(f.digest)}.sig`))?.digest).toBe(g.digest);
    expect((await getManifest(anon.url, target, `${digestTag(g.digest)}.sig`))?.digest).toBe(f.digest);
  });
});
