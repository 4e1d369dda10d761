// The sweep re-checks the repository right before deleting: whatever a tag pushed or moved since
// the plan leads to stays (a promote re-tagging a pr image, a new index over planned platform
// images), a tag that moved is not removed, and only the tags still on a digest go with it.
import { describe, expect, it } from 'vitest';
import type { RepositoryRef } from '#shared/oci/client.js';
import { compileTagPatterns } from '#shared/policy/tag-patterns.js';
import { DEFAULT_KEEP_TAGS } from '../../../actions/retention-cleanup/src/inputs.js';
import { planRepository, type RetentionPolicy } from '../../../actions/retention-cleanup/src/plan.js';
import { OciProvider } from '../../../actions/retention-cleanup/src/providers.js';
import { sweep } from '../../../actions/retention-cleanup/src/sweep.js';
import { Registry } from './memory-world.js';

const repo: RepositoryRef = { registry: 'registry.test', repository: 'acme/api' };
const noRefs = { tags: new Map<string, string>(), digests: new Map<string, string>() };
const NOW = Date.parse('2026-03-01T00:00:00Z');
const policy: RetentionPolicy = {
  keep: compileTagPatterns(DEFAULT_KEEP_TAGS, 'keep-tags'),
  delete: compileTagPatterns(['pr-*'], 'delete-tags'),
  untagged: 'delete',
};

function world() {
  const r = new Registry();
  const a1 = r.image('2026-01-01T00:00:00Z', 'a-amd64');
  const i1 = r.index([a1], '1.0.0');
  const b1 = r.image('2026-01-02T00:00:00Z', 'b-amd64');
  const b2 = r.image('2026-01-02T00:00:00Z', 'b-arm64');
  const i2 = r.index([b1, b2], 'pr-1');
  r.tagMap.set('pr-1b', i2.digest);
  const s2 = r.signature(i2.digest);
  const m3 = r.image('2026-01-03T00:00:00Z', 'm3', 'pr-2');
  r.tagMap.set('dev', m3.digest);
  return { r, a1, i1, b1, b2, i2, s2, m3 };
}

const warnings = () => {
  const lines: string[] = [];
  return { lines, logger: { warning: (m: string) => lines.push(m), debug: () => {} } };
};

describe('sweep re-checks the repository after the plan', () => {
  it('keeps a digest that gained a tag, with its children and signature', async () => {
    const w = world();
    const provider = new OciProvider(w.r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    expect(new Set(plan.deletions.map((d) => d.digest))).toEqual(
      new Set([w.i2.digest, w.b1.digest, w.b2.digest, w.s2.digest]),
    );
    w.r.tagMap.set('v5.0.0', w.i2.digest);
    const log = warnings();
    const result = await sweep(provider, repo, plan, log.logger);
    expect(w.r.deletedDigests).toEqual([]);
    expect(result.skipped.map((s) => [s.digest, s.why]).sort()).toEqual(
      [
        [w.i2.digest, 'it gained tag(s) v5.0.0 after the plan'],
        [w.b1.digest, `${w.i2.digest.slice(0, 19)}… gained tag(s) v5.0.0 after the plan and leads to it`],
        [w.b2.digest, `${w.i2.digest.slice(0, 19)}… gained tag(s) v5.0.0 after the plan and leads to it`],
        [w.s2.digest, `${w.i2.digest.slice(0, 19)}… gained tag(s) v5.0.0 after the plan and leads to it`],
      ].sort(),
    );
    expect(log.lines).toHaveLength(4);
  });

  it('walks a manifest pushed since the plan and keeps the planned manifests it leads to', async () => {
    const w = world();
    const provider = new OciProvider(w.r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    // a new index over one of the doomed platform images
    const merged = w.r.index([w.b1], 'v6.0.0');
    const result = await sweep(provider, repo, plan);
    expect(new Set(w.r.deletedDigests)).toEqual(new Set([w.i2.digest, w.b2.digest, w.s2.digest]));
    expect(result.skipped).toEqual([
      {
        digest: w.b1.digest,
        tags: [],
        why: `${merged.digest.slice(0, 19)}… gained tag(s) v6.0.0 after the plan and leads to it`,
      },
    ]);
  });

  it('does not remove a tag that moved, and deletes a digest with the tags still on it', async () => {
    const w = world();
    const provider = new OciProvider(w.r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    expect(plan.untags.map((u) => u.tag)).toEqual(['pr-2']);
    w.r.tagMap.set('pr-2', w.a1.digest);
    w.r.tagMap.set('pr-1b', w.m3.digest);
    const result = await sweep(provider, repo, plan);
    expect(w.r.untagCalls).toEqual([]);
    expect(result.stuck).toEqual([
      { tag: 'pr-2', digest: w.m3.digest, why: `it moved to ${w.a1.digest.slice(0, 19)}… after the plan` },
    ]);
    expect(result.deleted.find((d) => d.digest === w.i2.digest)?.tags).toEqual(['pr-1']);
    expect(w.r.manifests.has(w.m3.digest)).toBe(true);
  });

  it('lists nothing again when the plan deletes nothing', async () => {
    const r = new Registry();
    r.image('2026-01-01T00:00:00Z', 'only', '1.0.0');
    const provider = new OciProvider(r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    r.calls.length = 0;
    expect(await sweep(provider, repo, plan)).toEqual({ deleted: [], skipped: [], untagged: [], stuck: [] });
    expect(r.calls).toEqual([]);
  });

  it('deletes nothing in the repository when the re-check finds a listed tag that answers 404', async () => {
    const w = world();
    const provider = new OciProvider(w.r);
    const plan = await planRepository(provider, repo, { policy, referenced: noRefs, now: NOW });
    w.r.tagMap.set('1.0.1', `sha256:${'e'.repeat(64)}`);
    await expect(sweep(provider, repo, plan)).rejects.toThrow(
      "Listing the tags of registry.test/acme/api: tag '1.0.1' is listed but its manifest answers 404, also after listing the tags again: the registry's answers are incomplete, so nothing in registry.test/acme/api was deleted (the re-check before deleting failed)",
    );
    expect(w.r.deletedDigests).toEqual([]);
    expect(w.r.untagCalls).toEqual([]);
  });
});
