// OCI labels and annotations from the repository in the event payload: the eight
// org.opencontainers.image.* keys, `created` from the commit time so that a rebuild of the same
// commit gives the same image config; user entries override or add, keys sorted.
import type { RunContext } from './context.js';

export const ANNOTATION_LEVEL = /^(manifest|index|manifest-descriptor|index-descriptor)(\[[^\]]*\])?:/;

export function baseLabels(ctx: RunContext, version: string, created: Date): Array<[string, string]> {
  const r = ctx.repository;
  return [
    ['org.opencontainers.image.created', created.toISOString()],
    ['org.opencontainers.image.description', r.description],
    ['org.opencontainers.image.licenses', r.license],
    ['org.opencontainers.image.revision', ctx.sha],
    ['org.opencontainers.image.source', r.htmlUrl],
    ['org.opencontainers.image.title', r.name],
    ['org.opencontainers.image.url', r.htmlUrl],
    ['org.opencontainers.image.version', version],
  ];
}

/** Base entries overridden by extra ones (later wins), sorted by key. */
export function mergeEntries(
  base: ReadonlyArray<[string, string]>,
  extra: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
  const map = new Map<string, string>(base);
  for (const [k, v] of extra) map.set(k, v);
  return [...map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Annotations as `level:key=value`: `manifest:` unless the key names its level. */
export function annotationLines(
  base: ReadonlyArray<[string, string]>,
  extra: ReadonlyArray<[string, string]>,
): string[] {
  const withLevel = (key: string) => (ANNOTATION_LEVEL.test(key) ? key : `manifest:${key}`);
  const merged = mergeEntries(
    base.map(([k, v]) => [withLevel(k), v]),
    extra.map(([k, v]) => [withLevel(k), v]),
  );
  return merged.map(([k, v]) => `${k}=${v}`);
}
