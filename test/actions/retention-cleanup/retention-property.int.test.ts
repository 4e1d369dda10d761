// A property test of retention-cleanup against a real distribution registry: random repository
// states (images, multi-platform indexes sharing platform images and a base layer, tags on
// platform images, cosign `.sig`/`.att` tags, referrers in the fallback tag schema, orphan
// signatures, untagged manifests) and random policies, each cleaned by the bundle. Afterwards:
// the deletions are exactly what an independent model of the policy allows; the registry's own
// garbage collection (without -m) runs; every kept tag still copies completely with skopeo; and
// nothing reachable from a kept root is missing, down to the blobs.
// Replay one seed: RETENTION_SEED=<seed> RETENTION_ITERATIONS=1 npx vitest run <this file>
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAction } from '../../harness/run-action.js';
import { limiter } from '#shared/oci/graph.js';
import { type Managed, run, stopProcess, which } from '../../stack/processes.js';
import { startRegistry } from '../../stack/registry.js';
import type { RegistryEndpoint } from '../../stack/types.js';
import {
  attachmentSubject,
  fetchManifest,
  incomplete,
  type ModelNode,
  type Policy,
  prng,
  skopeoCopyAll,
  tagState,
  World,
} from './world.js';

// This file starts its own registry (the stack's are shared by parallel test files) so that it
// can run the registry's garbage collection between the cleanup and the checks.

const ITERATIONS = Number(process.env.RETENTION_ITERATIONS ?? 16);
const BASE_SEED = Number(process.env.RETENTION_SEED ?? Date.now() % 1_000_000_000);
const SEEDS = Array.from({ length: ITERATIONS }, (_, i) => BASE_SEED + i);

const SEMVER = [/^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/, /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*))?$/];

// Each pattern input with an independent predicate of what it must select.
const KEEP_OPTIONS: { input?: string; keep: (t: string) => boolean }[] = [
  { keep: (t) => t === 'latest' || SEMVER.some((re) => re.test(t)) },
  { input: 'none', keep: () => false },
  { input: 'latest\nv*', keep: (t) => t === 'latest' || t.startsWith('v') },
  { input: '/^release-/, 1.*', keep: (t) => t.startsWith('release-') || t.startsWith('1.') },
  { input: '!pr-*\n!sha-*\n!nightly-*', keep: (t) => !/^(pr|sha|nightly)-/.test(t) },
];
const DELETE_OPTIONS: { input?: string; del?: (t: string) => boolean }[] = [
  {},
  {},
  { input: 'pr-*', del: (t) => t.startsWith('pr-') },
  { input: 'pr-*\nsha-*\nmain-*', del: (t) => /^(pr|sha|main)-/.test(t) },
  { input: '/^(nightly|feature)-/, latest', del: (t) => /^(nightly|feature)-/.test(t) || t === 'latest' },
];

interface Scenario {
  world: World;
  policy: Policy;
  description: string;
}

async function generate(seed: number, registry: RegistryEndpoint): Promise<Scenario> {
  const r = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const world = new World(registry, `prop-${process.pid}/s${seed}`, Date.now());
  const ages = Array.from({ length: 60 }, (_, i) => i + 1).sort(() => r() - 0.5);
  const used = new Set<string>();
  const hex = () =>
    Math.floor(r() * 0xffffff)
      .toString(16)
      .padStart(6, '0');
  const tagName = (): string => {
    for (;;) {
      const n = Math.floor(r() * 40);
      const tag = pick([
        'latest',
        `1.${n % 5}.${n}`,
        `v2.${n}`,
        `${n % 4}`,
        `pr-${n}`,
        `main-${hex()}`,
        `sha-${hex()}`,
        `nightly-${20260100 + n}`,
        `feature-x-${n}`,
        `release-${n}`,
      ]);
      if (!used.has(tag)) {
        used.add(tag);
        return tag;
      }
    }
  };
  const platforms: ModelNode[] = [];
  const roots = 4 + Math.floor(r() * 6);
  for (let i = 0; i < roots; i++) {
    const ageDays = (ages[i] as number) + 0.5;
    const sharedBase = r() < 0.5;
    const oci = r() < 0.7;
    let root: ModelNode;
    if (r() < 0.45) {
      const archs = ['amd64', 'arm64', 'ppc64le', 's390x'].sort(() => r() - 0.5).slice(0, 1 + Math.floor(r() * 3));
      const children: ModelNode[] = [];
      for (const arch of archs) {
        const reuse = platforms.filter((p) => p.arch === arch && p.mediaType.includes('oci') === oci);
        if (reuse.length > 0 && r() < 0.35) children.push(pick(reuse));
        else {
          const child = await world.image({ ageDays, arch, sharedBase, oci });
          platforms.push(child);
          children.push(child);
        }
      }
      root = await world.index(children, { oci });
      for (const child of children) {
        if (r() < 0.12 && !world.rootTags().has(child.digest)) await world.tag(child, tagName());
        if (r() < 0.25 && !world.tags.has(child.digest.replace(':', '-')))
          await world.refer(child, 1 + Math.floor(r() * 2));
      }
    } else {
      root = await world.image({ ageDays, sharedBase, oci, arch: 'amd64' });
      if (r() < 0.25) await world.refer(root, 1);
    }
    const tagCount = 1 + Math.floor(r() * 3);
    for (let t = 0; t < tagCount; t++) await world.tag(root, tagName());
    if (r() < 0.5) await world.sign(root.digest);
    if (r() < 0.2) await world.sign(root.digest, 'att');
  }
  if (r() < 0.5) await world.sign(`sha256:${hex().repeat(10)}${hex().slice(0, 4)}`);
  if (r() < 0.3) await world.image({ ageDays: 200.5 });
  // an untagged image still in the registry, found only through its signature
  if (r() < 0.4) {
    const untagged = await world.image({ ageDays: (ages[roots] as number) + 0.5 });
    await world.sign(untagged.digest);
  }

  const keep = pick(KEEP_OPTIONS);
  const del = pick(DELETE_OPTIONS);
  const keepLast = pick([undefined, undefined, undefined, 0, 1, 2]);
  const olderThanDays = pick([undefined, undefined, undefined, 3, 20, 45]);
  const untagged = pick(['delete', 'keep'] as const);
  const inputs: Record<string, string> = { untagged, 'max-deletions': '1000' };
  if (keep.input !== undefined) inputs['keep-tags'] = keep.input;
  if (del.input !== undefined) inputs['delete-tags'] = del.input;
  if (keepLast !== undefined) inputs['keep-last'] = String(keepLast);
  if (olderThanDays !== undefined) inputs['older-than'] = `${olderThanDays}d`;
  const policy: Policy = { inputs, keep: keep.keep, untagged };
  if (del.del) policy.del = del.del;
  if (keepLast !== undefined) policy.keepLast = keepLast;
  if (olderThanDays !== undefined) policy.olderThanDays = olderThanDays;
  const kinds = [...world.nodes.values()].reduce<Record<string, number>>((acc, n) => {
    acc[n.kind] = (acc[n.kind] ?? 0) + 1;
    return acc;
  }, {});
  const description = `seed ${seed}: ${world.tags.size} tags, manifests ${JSON.stringify(kinds)}, policy ${JSON.stringify(inputs)}`;
  return { world, policy, description };
}

describe('retention-cleanup property: random repositories, random policies (bundle, real registry)', () => {
  let registry: RegistryEndpoint;
  let process_: Managed;
  let dir: string;
  let binary: string;

  beforeAll(async () => {
    binary = (which('docker-registry') ?? which('registry')) as string;
    dir = mkdtempSync(join(tmpdir(), 'retention-prop-'));
    const started = await startRegistry(binary, 'retention-property', dir, { kind: 'none' });
    registry = started.endpoint;
    process_ = started.process;
    console.log(`[retention property] seeds ${SEEDS[0]}..${SEEDS.at(-1)} (RETENTION_SEED=${BASE_SEED})`);
  });

  afterAll(async () => {
    if (process_) await stopProcess(process_);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(SEEDS)('seed %i: kept tags copy completely, nothing reachable from a kept root is gone', async (seed) => {
    const { world, policy, description } = await generate(seed, registry);
    const context = `${description} (replay: RETENTION_SEED=${seed} RETENTION_ITERATIONS=1)`;
    const before = await tagState(registry, world.repo);
    const expected = world.expectedDeletions(policy, world.now);

    const result = await runAction('retention-cleanup', {
      inputs: { repositories: world.name, provider: 'oci', ...policy.inputs },
      eventName: 'schedule',
      timeoutMs: 90_000,
    });
    expect(result.errors, context).toEqual([]);
    expect(result.code, context).toBe(0);
    const deleted = (JSON.parse(result.outputs.deleted as string) as { digest: string }[]).map((d) => d.digest);
    expect(new Set(deleted), context).toEqual(expected);
    expect(deleted.length, context).toBe(expected.size);
    if (process.env.RETENTION_VERBOSE)
      console.log(`${description}: deleted ${deleted.length} of ${world.nodes.size} manifests`);

    // the registry's own garbage collection, without -m: blobs only deleted images used go now
    const gc = await run(binary, ['garbage-collect', join(dir, 'config.yml')], { timeoutMs: 60_000 });
    expect(gc.code, `${context}\n${gc.stderr}`).toBe(0);

    const after = await tagState(registry, world.repo);
    const expectedTags = new Map([...before].filter(([, digest]) => !expected.has(digest)));
    expect(Object.fromEntries(after), context).toEqual(Object.fromEntries(expectedTags));
    for (const tag of before.keys()) {
      if (!attachmentSubject(tag) && policy.keep(tag)) expect(after.has(tag), `${context}: kept tag ${tag}`).toBe(true);
    }

    // everything reachable from what is still tagged is complete, blobs included
    for (const digest of world.reachable(after.values())) {
      expect(await incomplete(world, digest), `${context}: ${digest}`).toEqual([]);
    }
    for (const digest of world.nodes.keys()) {
      if (expected.has(digest)) expect(await fetchManifest(registry, world.repo, digest), context).toBeNull();
      else expect(await incomplete(world, digest), `${context}: ${digest}`).toEqual([]);
    }
    const limit = limiter(4);
    const copies = await Promise.all(
      [...after.keys()]
        .filter((tag) => !attachmentSubject(tag))
        .map((tag) => limit(async () => ({ tag, ...(await skopeoCopyAll(`${world.name}:${tag}`)) }))),
    );
    expect(
      copies.filter((c) => c.code !== 0),
      context,
    ).toEqual([]);
  });
});
