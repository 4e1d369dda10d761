// Whether floating tags move: `latest`, `{{major}}` and `{{major}}.{{minor}}` point at the highest
// release of their range, so a patch of an old line (1.2.4 after 1.3.0) must not take `1` or
// `latest` back. Releases are known from git tags (monorepo prefix applied) and registry tags.
// single functions, not the whole package: start-up time matters in an action
import type SemVer from 'semver/classes/semver.js';
import semverGt from 'semver/functions/gt.js';
import semverLte from 'semver/functions/lte.js';
import semverParse from 'semver/functions/parse.js';
import semverValid from 'semver/functions/valid.js';
import type { Candidate, FloatRange, TagPlan } from './compute.js';

export const FLOATING_MODES = ['highest', 'always', 'never'] as const;
export type FloatingMode = (typeof FLOATING_MODES)[number];

export interface ReleaseSource {
  /** e.g. `git tags`, `registry ghcr.io/acme/api` */
  name: string;
  /** released (non-prerelease) versions, normalised (`1.2.3`) */
  versions: string[];
}

export interface FloatingDecision {
  tag: string;
  rule: string;
  range: FloatRange;
  moved: boolean;
  reason: string;
}

/** Released versions among tag names: the prefix is stripped, prereleases and non-semver names are left out. */
export function releasesFromTags(
  tags: readonly string[],
  options: { prefix?: string; suffix?: string } = {},
): string[] {
  const out = new Set<string>();
  const { prefix = '', suffix = '' } = options;
  for (const name of tags) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const text = name.slice(prefix.length, name.length - suffix.length);
    const v = semverValid(text) ? semverParse(text) : null;
    if (v && v.prerelease.length === 0) out.add(v.version);
  }
  return [...out];
}

function rangeName(range: FloatRange, v: SemVer): string {
  if (range === 'all') return 'all releases';
  if (range === 'major') return `${v.major}.x`;
  return `${v.major}.${v.minor}.x`;
}

function inRange(range: FloatRange, v: SemVer, other: SemVer): boolean {
  if (range === 'all') return true;
  if (range === 'major') return other.major === v.major;
  return other.major === v.major && other.minor === v.minor;
}

/** Judges one floating tag against the known releases. */
export function judge(
  version: string,
  range: FloatRange,
  sources: readonly ReleaseSource[],
): { moved: boolean; reason: string } {
  const v = semverParse(version) as SemVer;
  let highest: { version: SemVer; source: string } | undefined;
  for (const source of sources) {
    for (const text of source.versions) {
      const other = semverParse(text);
      // a prerelease above a release never holds a floating tag back
      if (!other || other.prerelease.length > 0 || !inRange(range, v, other) || semverLte(other, v)) continue;
      if (!highest || semverGt(other, highest.version)) highest = { version: other, source: source.name };
    }
  }
  const names = sources.map((s) => s.name).join(' and ');
  if (highest) {
    return {
      moved: false,
      reason: `not moved: ${highest.version.version} (${highest.source}) is higher than ${v.version} in ${rangeName(range, v)}`,
    };
  }
  return {
    moved: true,
    reason: `moved: ${v.version} is the highest release in ${rangeName(range, v)} (checked ${names})`,
  };
}

/**
 * Applies the floating mode to a plan: returns the tags to emit and a decision for every
 * floating tag. `sources` undefined under `highest` means no source could be read (act as always).
 */
export function decideFloating(
  plan: TagPlan,
  mode: FloatingMode,
  sources: readonly ReleaseSource[] | undefined,
): { kept: Candidate[]; decisions: FloatingDecision[] } {
  const kept: Candidate[] = [];
  const decisions: FloatingDecision[] = [];
  for (const c of plan.candidates) {
    if (!c.floats) {
      kept.push(c);
      continue;
    }
    let moved: boolean;
    let reason: string;
    if (mode === 'never') {
      moved = false;
      reason = 'not moved: floating-tags is never';
    } else if (!plan.release) {
      moved = true;
      reason = 'moved: this run releases no semantic version to compare (latest set by flavor)';
    } else if (plan.release.prerelease) {
      moved = false;
      reason = `not moved: ${plan.release.version} is a prerelease`;
    } else if (plan.release.markedPrerelease && mode !== 'always') {
      moved = false;
      reason = `not moved: the GitHub release of ${plan.release.version} is marked pre-release (floating-tags: always moves it anyway)`;
    } else if (mode === 'always') {
      moved = true;
      reason = 'moved: floating-tags is always';
    } else if (sources === undefined) {
      moved = true;
      reason = 'moved without comparison: neither git tags nor registry tags could be read';
    } else {
      ({ moved, reason } = judge(plan.release.version, c.floats, sources));
    }
    decisions.push({ tag: c.tag, rule: c.rule, range: c.floats, moved, reason });
    if (moved) kept.push(c);
  }
  return { kept, decisions };
}

/** True when the plan holds a floating tag whose move depends on other releases. */
export function needsJudgement(plan: TagPlan, mode: FloatingMode): boolean {
  return (
    mode === 'highest' &&
    plan.release !== undefined &&
    !plan.release.prerelease &&
    !plan.release.markedPrerelease &&
    plan.candidates.some((c) => c.floats !== undefined)
  );
}
