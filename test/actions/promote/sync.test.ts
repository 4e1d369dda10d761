// sync's bookkeeping against in-memory registries, one per repository, where the real stack
// cannot go: a registry with the OCI referrers API (distribution 2.8 has none). A referrer
// pushed through the API, with no tag, still reaches the target of an image already mirrored;
// once it is there a run writes nothing; and a registry without the API is asked once per run.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobBody, BlobTransfer, Descriptor, RepositoryRef } from '#shared/oci/client.js';
import { compileTagPatterns } from '#shared/policy/tag-patterns.js';
import { parseImmutableTags } from '../../../actions/promote/src/inputs.js';
import { type SyncClient, sync } from '../../../actions/promote/src/sync.js';
import { deleteTags } from '../../../actions/promote/src/sync-delete.js';
import { blob, EMPTY_JSON, imageManifest, MemoryRegistry, OCI_INDEX } from '../../shared/oci/memory-registry.js';

class Repo extends MemoryRegistry {
  readonly blobs = new Set<string>();
}

/** Repositories by name, each an in-memory registry; every call is logged with its repository. */
class Registries implements SyncClient {
  readonly repos = new Map<string, Repo>();
  readonly log: string[] = [];
  constructor(private readonly api: boolean) {}
  repo(r: RepositoryRef): Repo {
    const key = `${r.registry}/${r.repository}`;
    let repo = this.repos.get(key);
    if (!repo) {
      repo = new Repo(this.api);
      this.repos.set(key, repo);
    }
    return repo;
  }
  private note(method: string, r: RepositoryRef, ref = '') {
    this.log.push(`${method} ${r.repository} ${ref}`.trim());
  }
  getManifest = (r: RepositoryRef, ref: string) => {
    this.note('getManifest', r, ref);
    return this.repo(r).getManifest(r, ref);
  };
  headManifest = async (r: RepositoryRef, ref: string) => {
    this.note('headManifest', r, ref);
    try {
      const m = await this.repo(r).getManifest(r, ref);
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
    } catch {
      return null;
    }
  };
  putManifest = (r: RepositoryRef, ref: string, bytes: Buffer, mediaType: string) => {
    this.note('putManifest', r, ref);
    return this.repo(r).putManifest(r, ref, bytes, mediaType);
  };
  listTags = (r: RepositoryRef) => {
    this.note('listTags', r);
    return this.repo(r).listTags(r);
  };
  referrersApi = (r: RepositoryRef, digest: string) => {
    this.note('referrersApi', r, digest);
    return this.repo(r).referrersApi(r, digest);
  };
  getBlob = async (r: RepositoryRef, digest: string) => {
    this.note('getBlob', r, digest);
    return Readable.from([Buffer.from(digest)]);
  };
  getBlobBytes = async () => Buffer.from('{}');
  pushBlob = async (r: RepositoryRef, desc: { digest: string }, body: BlobBody): Promise<BlobTransfer> => {
    this.note('pushBlob', r, desc.digest);
    if (this.repo(r).blobs.has(desc.digest)) return 'existed';
    (await body()).resume();
    this.repo(r).blobs.add(desc.digest);
    return 'uploaded';
  };
  mountBlob = async () => false;
  deleteManifest = async (_r: RepositoryRef, _digest: string): Promise<void> => {};
  deleteTag = async (_r: RepositoryRef, _tag: string): Promise<boolean> => false;
}

const SRC = { registry: 'src.example', repository: 'app' };
const DST = { registry: 'dst.example', repository: 'mirror/app' };
const logger = { debug() {}, info() {}, warning() {} };
const options = (over: Partial<Parameters<typeof sync>[0]> = {}) => ({
  pairs: [{ source: SRC, target: DST }],
  tags: compileTagPatterns(['*'], 'sync-tags'),
  referrers: 'all' as const,
  immutable: parseImmutableTags(undefined),
  force: false,
  delete: false,
  maxDeletions: 100,
  parallel: 4,
  dryRun: false,
  ...over,
});

/** An image tagged v1 (and v2 on another image) at the source, and at the target already. */
function world(api: boolean) {
  const regs = new Registries(api);
  const images: Descriptor[] = [];
  for (const [i, tag] of ['v1', 'v2'].entries()) {
    const config = blob('application/vnd.oci.image.config.v1+json', `{"n":${i}}`);
    const layer = blob('application/vnd.oci.image.layer.v1.tar+gzip', `layer ${i}`);
    for (const side of [SRC, DST]) regs.repo(side).add(imageManifest(config, [layer]), tag);
    regs.repo(DST).blobs.add(config.digest).add(layer.digest);
    images.push(regs.repo(SRC).add(imageManifest(config, [layer])));
  }
  return { regs, images };
}

describe('sync with the referrers API', () => {
  it('brings a referrer pushed through the API to an image already mirrored, then writes nothing', async () => {
    const { regs, images } = world(true);
    const v1 = images[0] as Descriptor;
    const sbom = regs.repo(SRC).add(
      imageManifest(blob(EMPTY_JSON, '{}'), [blob('application/spdx+json', '{"spdx":1}')], {
        subject: v1,
        artifactType: 'application/spdx+json',
      }),
    );
    const first = await sync(options(), { client: regs, logger });
    expect(first.pairs[0]?.tags.map((t) => t.action)).toEqual(['unchanged', 'unchanged']);
    expect(first.pairs[0]?.attachmentsUpdated).toBe(1);
    expect((await regs.repo(DST).referrersApi(DST, v1.digest))?.map((d) => d.digest)).toEqual([sbom.digest]);
    expect(regs.repo(DST).tagMap.get('v1')).toBe(v1.digest);

    regs.log.length = 0;
    const second = await sync(options(), { client: regs, logger });
    expect(second.pairs[0]?.attachmentsUpdated).toBe(0);
    expect(regs.log.filter((l) => /^(putManifest|pushBlob|getBlob) /.test(l))).toEqual([]);
  });

  it('asks a registry without the API once per run', async () => {
    const { regs } = world(false);
    const r = await sync(options({ parallel: 1 }), { client: regs, logger });
    expect(r.pairs[0]?.tags.map((t) => t.action)).toEqual(['unchanged', 'unchanged']);
    expect(regs.log.filter((l) => l.startsWith('referrersApi'))).toHaveLength(1);
    expect(regs.log.filter((l) => /^(putManifest|pushBlob) /.test(l))).toEqual([]);
  });
});

describe('deleteTags (sync-delete planning)', () => {
  /** A target repository holding two indexes that share one platform image. */
  function target() {
    const regs = new Registries(false);
    const repo = regs.repo(DST);
    const img = (n: string) =>
      repo.add(imageManifest(blob('application/vnd.oci.image.config.v1+json', `{"n":"${n}"}`), []));
    const shared = img('shared');
    const own = img('own');
    const kept = repo.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [shared] }, '2.0.0');
    const doomed = repo.add({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [shared, own] }, '1.0.0');
    repo.tagMap.set('2.0.0-shared', shared.digest);
    const deleted: string[] = [];
    regs.deleteManifest = async (_r: RepositoryRef, digest: string) => {
      deleted.push(digest);
    };
    return { regs, shared, own, kept, doomed, deleted };
  }
  const opts = { maxDeletions: 10, dryRun: false, parallel: 2, logger };

  it('deletes a doomed index and its own children, never an image a kept index lists', async () => {
    const { regs, own, doomed, deleted } = target();
    const r = await deleteTags(regs, DST, ['1.0.0'], opts);
    expect(r).toEqual({ deleted: ['1.0.0'], manifests: [doomed.digest, own.digest], kept: [] });
    expect(deleted).toEqual([doomed.digest, own.digest]);
  });

  it('keeps a doomed tag on an image that a kept index lists, and says why', async () => {
    const { regs, shared, deleted } = target();
    const r = await deleteTags(regs, DST, ['2.0.0-shared'], opts);
    expect(r.kept).toEqual([
      { tag: '2.0.0-shared', reason: `its image ${shared.digest} is part of an index a kept tag points at` },
    ]);
    expect(deleted).toEqual([]);
  });

  it('deletes nothing above max-deletions, and nothing when a listed tag cannot be read', async () => {
    const { regs, deleted } = target();
    const over = await deleteTags(regs, DST, ['1.0.0'], { ...opts, maxDeletions: 1 });
    expect(over.refused).toBe('removing 1 tag(s) takes 2 deletions, more than max-deletions (1); nothing was deleted');
    regs.repo(DST).tagMap.set('ghost', `sha256:${'0'.repeat(64)}`);
    const broken = await deleteTags(regs, DST, ['1.0.0'], opts);
    expect(broken.error).toMatch(/tag ghost is listed but cannot be read/);
    expect(deleted).toEqual([]);
  });
});
