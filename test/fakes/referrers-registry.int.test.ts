// The referrers proxy holds to the distribution spec where the suite relies on it: a manifest with
// a subject is answered with OCI-Subject and listed (as the image spec describes the descriptor),
// only after the registry accepted it; an unknown digest gets an empty index; the artifactType
// filter is applied and announced; an invalid digest is refused; a deleted manifest is forgotten;
// everything else is the registry's own answer.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, sha256 } from '../actions/promote/fixtures.js';
import { type ReferrersRegistry, startReferrersRegistry } from './referrers-registry.js';

const stack = inject('stack');
let proxy: ReferrersRegistry;
beforeAll(async () => {
  proxy = await startReferrersRegistry(stack.anonymous.url);
});
afterAll(async () => proxy?.close());

const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(Buffer.from('{}')), size: 2 };

async function put(repo: string, reference: string, json: object): Promise<Response> {
  return fetch(`${proxy.url}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': OCI_MANIFEST },
    body: JSON.stringify(json),
  });
}

async function referrers(repo: string, digest: string, query = '') {
  const res = await fetch(`${proxy.url}/v2/${repo}/referrers/${digest}${query}`);
  return {
    res,
    json: res.status === 200 ? ((await res.json()) as { mediaType: string; manifests: object[] }) : undefined,
  };
}

describe('referrers proxy', () => {
  const repo = `referrers-proxy-${process.pid}/app`;
  let subject: { mediaType: string; digest: string; size: number };

  beforeAll(async () => {
    const image = await pushImage(proxy.url, repo, { tag: 'v1' });
    subject = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    await pushBlob(proxy.url, repo, Buffer.from('{}'), EMPTY.mediaType);
  });

  it('answers an empty index for a digest nothing refers to', async () => {
    const { res, json } = await referrers(repo, `sha256:${'0'.repeat(64)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCI_INDEX);
    expect(json).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  });

  it('refuses an invalid digest', async () => {
    const { res } = await referrers(repo, 'sha256:not!a!digest');
    expect(res.status).toBe(400);
  });

  it('lists an accepted manifest with a subject, announces OCI-Subject, filters by artifactType', async () => {
    const a = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/x.one',
      config: EMPTY,
      layers: [EMPTY],
      subject,
      annotations: { k: 'v' },
    };
    const b = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { ...EMPTY, mediaType: 'application/x.two' },
      layers: [EMPTY],
      subject,
    };
    const putA = await put(repo, sha256(Buffer.from(JSON.stringify(a))), a);
    expect(putA.status).toBe(201);
    expect(putA.headers.get('oci-subject')).toBe(subject.digest);
    expect((await put(repo, sha256(Buffer.from(JSON.stringify(b))), b)).status).toBe(201);
    const all = await referrers(repo, subject.digest);
    expect(all.res.headers.get('oci-filters-applied')).toBeNull();
    expect(all.json?.manifests).toEqual([
      {
        mediaType: OCI_MANIFEST,
        digest: sha256(Buffer.from(JSON.stringify(a))),
        size: JSON.stringify(a).length,
        artifactType: 'application/x.one',
        annotations: { k: 'v' },
      },
      {
        mediaType: OCI_MANIFEST,
        digest: sha256(Buffer.from(JSON.stringify(b))),
        size: JSON.stringify(b).length,
        artifactType: 'application/x.two',
      },
    ]);
    const one = await referrers(repo, subject.digest, '?artifactType=application%2Fx.two');
    expect(one.res.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(one.json?.manifests.map((m) => (m as { artifactType: string }).artifactType)).toEqual(['application/x.two']);

    // forgotten once the registry deleted it
    const del = await fetch(`${proxy.url}/v2/${repo}/manifests/${sha256(Buffer.from(JSON.stringify(a)))}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(202);
    expect((await referrers(repo, subject.digest)).json?.manifests).toHaveLength(1);
  });

  it('records nothing the registry refused', async () => {
    const missing = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { ...EMPTY, digest: `sha256:${'1'.repeat(64)}` },
      layers: [],
      subject,
    };
    const r = await put(repo, 'refused', missing);
    expect(r.status).toBe(400);
    expect(r.headers.get('oci-subject')).toBeNull();
    expect((await referrers(repo, subject.digest)).json?.manifests).toHaveLength(1);
  });
});
