// Whole-graph copies between real registries: same repository, another repository of the same
// registry (mounts only: the registry log shows no blob upload), another registry (anonymous and
// token auth), and a platform subset. skopeo confirms each digest and can copy the result.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { RegistryClient } from '#shared/oci/client.js';
import { copyImage } from '#shared/oci/copy.js';
import { staticCredentials } from '#shared/oci/credentials.js';
import { type ImageGraph, walkGraph } from '#shared/oci/graph.js';
import { cosignTag, listReferrers, referrersTag } from '#shared/oci/referrers.js';
import { type AttachedImage, buildAttachedImage, countLogLines, skopeoDigest, uniqueName } from './image-fixtures.js';

const stack = inject('stack');
const admin = stack.token.admin;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

describe('copyImage', () => {
  const client = new RegistryClient({
    credentials: staticCredentials({ [stack.token.host]: { username: admin.username, password: admin.password } }),
  });
  const repository = uniqueName('copy/src');
  const src = { registry: stack.anonymous.host, repository, tag: 'v1' };
  let img: AttachedImage;
  let graph: ImageGraph;

  beforeAll(async () => {
    img = await buildAttachedImage(client, stack.anonymous.host, repository, 'v1', stack.busybox);
    graph = await walkGraph(client, src, 'v1');
  }, 120_000);

  /** Every manifest of the source graph (but its referrers tag indexes) is at the target, byte-exact. */
  async function expectAllManifests(host: string, repo: string, creds?: { username: string; password: string }) {
    for (const node of graph.manifests()) {
      if (node.role === 'referrers-index') continue;
      expect(await skopeoDigest(stack.skopeo, `${host}/${repo}@${node.digest}`, creds)).toBe(node.digest);
    }
  }

  /** The target knows the same referrers and cosign tags as the source. */
  async function expectAttachments(registry: string, repository: string) {
    const repo = { registry, repository };
    const tags = await client.listTags(repo);
    expect(tags).toEqual(
      expect.arrayContaining([cosignTag(img.index.digest, 'sig'), cosignTag(img.amd64.digest, 'sig')]),
    );
    for (const [subject, referrer] of [
      [img.index.digest, img.indexBundle],
      [img.amd64.digest, img.amd64Sbom],
      [img.amd64Sbom.digest, img.sbomBundle],
    ] as const) {
      const listing = await listReferrers(client, repo, subject);
      expect(listing.descriptors.map((d) => [d.digest, d.artifactType])).toEqual([
        [referrer.digest, referrer.artifactType],
      ]);
    }
  }

  it('within one repository puts only the tag', async () => {
    const r = await copyImage(client, src, { ...src, tag: 'v1-copy' });
    expect(r).toMatchObject({ mode: 'same-repository', digest: img.index.digest, blobs: [], tags: ['v1-copy'] });
    expect(r.manifests).toEqual([{ digest: img.index.digest, mediaType: img.index.mediaType, reference: 'v1-copy' }]);
    expect(await skopeoDigest(stack.skopeo, `${stack.anonymous.host}/${repository}:v1-copy`)).toBe(img.index.digest);
  });

  it('to another repository of the registry mounts every blob and uploads none', async () => {
    const target = uniqueName('copy/mounted');
    const r = await copyImage(
      client,
      src,
      { registry: stack.anonymous.host, repository: target, tag: 'v1' },
      { graph },
    );
    expect(r.mode).toBe('same-registry');
    expect(r.digest).toBe(img.index.digest);
    expect(r.blobs.length).toBe(graph.blobs().length);
    expect(new Set(r.blobs.map((b) => b.transfer))).toEqual(new Set(['mounted']));
    expect(r.bytesUploaded).toBe(0);
    const uploads = new RegExp(`"(PATCH|PUT) /v2/${escapeRegExp(target)}/blobs/uploads/`);
    expect(await countLogLines(stack.anonymous.logFile, uploads)).toBe(0);
    const mounts = new RegExp(`"POST /v2/${escapeRegExp(target)}/blobs/uploads/\\?.*mount=.* 201 `);
    expect(await countLogLines(stack.anonymous.logFile, mounts)).toBe(graph.blobs().length);
    // The tag came last.
    expect(r.manifests.at(-1)).toEqual({ digest: img.index.digest, mediaType: img.index.mediaType, reference: 'v1' });
    expect(r.tags).toEqual(
      expect.arrayContaining([
        'v1',
        cosignTag(img.amd64.digest, 'sig'),
        referrersTag(img.index.digest),
        referrersTag(img.amd64Sbom.digest),
      ]),
    );
    await expectAllManifests(stack.anonymous.host, target);
    await expectAttachments(stack.anonymous.host, target);
  });

  it('to another registry streams every blob, and a second run finds them all', async () => {
    const target = { registry: stack.anonymous2.host, repository: uniqueName('copy/cross'), tag: 'v1' };
    const r = await copyImage(client, src, target, { graph, concurrency: 3 });
    expect(r.mode).toBe('cross-registry');
    expect(new Set(r.blobs.map((b) => b.transfer))).toEqual(new Set(['uploaded']));
    expect(r.bytesUploaded).toBe(graph.blobs().reduce((n, b) => n + b.size, 0));
    await expectAllManifests(target.registry, target.repository);
    await expectAttachments(target.registry, target.repository);

    const again = await copyImage(client, src, target, { graph });
    expect(new Set(again.blobs.map((b) => b.transfer))).toEqual(new Set(['existed']));
    expect(again.bytesUploaded).toBe(0);
    // No new referrers tag index: every entry was already there.
    expect(again.tags).not.toContain(referrersTag(img.index.digest));

    // skopeo can copy what we wrote, all platforms.
    const dir = await mkdtemp(join(tmpdir(), 'skopeo-oci-'));
    try {
      await runCommand(
        stack.skopeo,
        [
          'copy',
          '--all',
          '--src-tls-verify=false',
          `docker://${target.registry}/${target.repository}:v1`,
          `oci:${dir}:v1`,
        ],
        { timeoutMs: 120_000 },
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('into the token registry as admin', async () => {
    const target = { registry: stack.token.host, repository: uniqueName('copy/token'), tag: 'v1' };
    const r = await copyImage(client, src, target, { referrers: 'signatures' });
    expect(r.digest).toBe(img.index.digest);
    expect(await skopeoDigest(stack.skopeo, `${target.registry}/${target.repository}:v1`, admin)).toBe(
      img.index.digest,
    );
    const repo = { registry: target.registry, repository: target.repository };
    // Signatures came along, the SBOM did not.
    expect((await listReferrers(client, repo, img.index.digest)).descriptors.map((d) => d.digest)).toEqual([
      img.indexBundle.digest,
    ]);
    expect((await listReferrers(client, repo, img.amd64.digest)).descriptors).toEqual([]);
    expect(await client.headManifest(repo, img.amd64Sig)).not.toBeNull();
  });

  it('a platform subset becomes a new index without the other platform and the old index attachments', async () => {
    const target = { registry: stack.anonymous2.host, repository: uniqueName('copy/arm64'), tag: 'arm64' };
    const r = await copyImage(client, src, target, { platforms: ['linux/arm64'] });
    expect(r.sourceDigest).toBe(img.index.digest);
    expect(r.digest).not.toBe(img.index.digest);
    expect(r.droppedPlatforms).toEqual(['linux/amd64']);
    const repo = { registry: target.registry, repository: target.repository };
    const m = await client.getManifest(repo, 'arm64');
    expect(m.digest).toBe(r.digest);
    expect(m.json.manifests.map((d: { digest: string }) => d.digest)).toEqual([img.arm64.digest]);
    expect(await skopeoDigest(stack.skopeo, `${target.registry}/${target.repository}:arm64`)).toBe(r.digest);
    expect(await client.headManifest(repo, img.amd64.digest)).toBeNull();
    expect(await client.headManifest(repo, img.indexSig)).toBeNull();
    await expect(copyImage(client, src, { ...target, tag: 'none' }, { platforms: ['linux/s390x'] })).rejects.toThrow(
      /none of the requested platforms \(linux\/s390x\); it has linux\/amd64, linux\/arm64/,
    );
  });
});
