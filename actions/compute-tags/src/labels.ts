// OCI labels and annotations from the repository in the event payload: the eight
// org.opencontainers.image.* keys, `created` from the commit time so that a rebuild of the same
// commit gives the same image config; user entries override or add, keys sorted the way
// docker/metadata-action sorts them. Annotations carry their level (`manifest:`, `index:`...).
import type { RunContext } from './context.js';

/** A level as buildx takes it: `manifest`, `index`, `manifest-descriptor`, `index-descriptor`, optionally `[platform]`. */
export const ANNOTATION_LEVEL_NAME = /^(manifest|index|manifest-descriptor|index-descriptor)(\[[^\]]*\])?$/;
/** A key that names its own level (`index:org.opencontainers.image.vendor`). */
export const ANNOTATION_LEVEL = /^(manifest|index|manifest-descriptor|index-descriptor)(\[[^\]]*\])?:/;

export function baseLabels(ctx: RunContext, version: string, created: Date, revision: string): Array<[string, string]> {
  const r = ctx.repository;
  return [
    ['org.opencontainers.image.created', created.toISOString()],
    ['org.opencontainers.image.description', r.description],
    ['org.opencontainers.image.licenses', r.license],
    ['org.opencontainers.image.revision', revision],
    ['org.opencontainers.image.source', r.htmlUrl],
    ['org.opencontainers.image.title', r.name],
    ['org.opencontainers.image.url', r.htmlUrl],
    ['org.opencontainers.image.version', version],
  ];
}

// metadata-action sorts keys with localeCompare, that is ICU's root collation. Loading ICU's
// collator costs tens of milliseconds of start-up, so the order is computed here: printable ASCII
// in root order (letters without case first, then lower case before upper case), any other
// character after it by code point.
const ROOT_ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz';

function primary(ch: string): number {
  const i = ROOT_ORDER.indexOf(ch >= 'A' && ch <= 'Z' ? ch.toLowerCase() : ch);
  return i >= 0 ? i : ROOT_ORDER.length + (ch.codePointAt(0) ?? 0);
}

/** Orders keys as `a.localeCompare(b)` does for printable ASCII. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = primary(a[i] as string) - primary(b[i] as string);
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  // same letters: the first difference of case decides, lower case first
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as string) > (b[i] as string) ? -1 : 1;
  return 0;
}

const byKey = (a: [string, string], b: [string, string]) => compareKeys(a[0], b[0]);

/** Base entries overridden by extra ones (later wins), sorted by key. */
export function mergeEntries(
  base: ReadonlyArray<[string, string]>,
  extra: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
  const map = new Map<string, string>(base);
  for (const [k, v] of extra) map.set(k, v);
  return [...map.entries()].sort(byKey);
}

/**
 * Annotations as `level:key=value`: the base entries and the user's unqualified keys at each of
 * `levels` (in that order, as DOCKER_METADATA_ANNOTATIONS_LEVELS lists them), a key that names
 * its own level (`index:key=value`) at that level only. Sorted by key within a level.
 */
export function annotationLines(
  base: ReadonlyArray<[string, string]>,
  extra: ReadonlyArray<[string, string]>,
  levels: readonly string[] = ['manifest'],
): string[] {
  const plain: Array<[string, string]> = [];
  const qualified = new Map<string, Array<[string, string]>>();
  for (const [key, value] of extra) {
    const m = ANNOTATION_LEVEL.exec(key);
    if (!m) {
      plain.push([key, value]);
      continue;
    }
    const level = m[0].slice(0, -1);
    const list = qualified.get(level) ?? [];
    qualified.set(level, list);
    list.push([key.slice(m[0].length), value]);
  }
  const order = [...levels, ...[...qualified.keys()].filter((l) => !levels.includes(l))];
  const lines: string[] = [];
  for (const level of order) {
    const own = qualified.get(level) ?? [];
    const merged = levels.includes(level) ? mergeEntries(base, [...plain, ...own]) : mergeEntries([], own);
    for (const [k, v] of merged) lines.push(`${level}:${k}=${v}`);
  }
  return lines;
}
