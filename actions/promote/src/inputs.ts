// Every input of the promote action, read once and validated into one typed object.
import {
  getBooleanInput,
  getDurationInput,
  getEnumInput,
  getInput,
  getIntegerInput,
  getListInput,
  getRequiredInput,
} from '#shared/action/inputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { formatPlatform, parsePlatform } from '#shared/oci/copy.js';
import { isValidTag, type Reference } from '#shared/oci/reference.js';
import { parseList } from '#shared/parse.js';
import { compileTagPatterns, type TagMatcher } from '#shared/policy/tag-patterns.js';
import { getSignatureGateInputs, type SignatureGateInputs } from './gate-inputs.js';
import { parseSource, resolveSyncPairs, resolveTargets, type SyncPair, type Target } from './targets.js';

export const REFERRER_MODES = ['all', 'signatures', 'none'] as const;
export type ReferrerMode = (typeof REFERRER_MODES)[number];

export interface ImmutableTags {
  /** the patterns as given (or the defaults), for messages and the summary */
  patterns: string[];
  matcher: TagMatcher | undefined;
}

export interface PromoteInputs extends SignatureGateInputs {
  source: Reference;
  targets: Target[];
  referrers: ReferrerMode;
  /** normalised `os/arch[/variant]`, each once */
  platforms: string[] | undefined;
  immutableTags: ImmutableTags;
  force: boolean;
  requireSignature: boolean;
  requireTags: string[];
  /** milliseconds */
  requireAge: number | undefined;
  dryRun: boolean;
}

/**
 * Full versions only: `1.2.3`, `v1.2.3`, with a pre-release (`-rc.1`) and a build part (`+` is
 * not allowed in tags, so `_build.5` or `-build.5`). The floating `1`, `1.2`, `v1` and `latest`
 * that compute-tags moves on every release are deliberately not protected.
 */
export const DEFAULT_IMMUTABLE_TAGS: readonly string[] = [
  '/^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(_[0-9A-Za-z.-]+)?$/',
];

/** `none` protects no tag; not given means full versions (DEFAULT_IMMUTABLE_TAGS). */
export function parseImmutableTags(text: string | undefined): ImmutableTags {
  if (text === undefined) {
    const patterns = [...DEFAULT_IMMUTABLE_TAGS];
    return { patterns, matcher: compileTagPatterns(patterns, 'immutable-tags') };
  }
  const patterns = parseList(text);
  if (patterns.length === 0 || (patterns.length === 1 && patterns[0]?.toLowerCase() === 'none')) {
    return { patterns: [], matcher: undefined };
  }
  return { patterns, matcher: compileTagPatterns(patterns, 'immutable-tags') };
}

export function parsePlatforms(items: readonly string[]): string[] {
  const names = items.map((item) => formatPlatform(parsePlatform(item.toLowerCase(), 'platforms')));
  return [...new Set(names)];
}

export function getInputs(): PromoteInputs {
  const source = parseSource(getRequiredInput('source'));
  const targets = resolveTargets(source, getListInput('targets'));
  const platformItems = getListInput('platforms');
  const requireTags = getListInput('require-tags');
  for (const tag of requireTags) {
    if (!isValidTag(tag)) {
      throw new ConfigurationError(
        `'${tag}' is not a tag (expected a tag such as scanned or qa-approved)`,
        'require-tags',
      );
    }
  }
  return {
    source,
    targets,
    referrers: getEnumInput('referrers', REFERRER_MODES, 'all'),
    platforms: platformItems.length ? parsePlatforms(platformItems) : undefined,
    immutableTags: parseImmutableTags(getInput('immutable-tags')),
    force: getBooleanInput('force', false),
    requireSignature: getBooleanInput('require-signature', false),
    requireTags,
    requireAge: getDurationInput('require-age'),
    dryRun: getBooleanInput('dry-run', false),
    ...getSignatureGateInputs(),
  };
}

/** sync mode (`sync-tags` given): what is mirrored where, and how. */
export interface SyncInputs {
  pairs: SyncPair[];
  syncTags: TagMatcher;
  syncTagPatterns: string[];
  syncDelete: boolean;
  maxDeletions: number;
  parallel: number;
  conflictPolicy: ConflictPolicy;
  referrers: ReferrerMode;
  immutableTags: ImmutableTags;
  force: boolean;
  dryRun: boolean;
}

export const CONFLICT_POLICIES = ['warn', 'fail'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

/** Inputs that only make sense for one promoted digest. */
const NOT_IN_SYNC_MODE = [
  'platforms',
  'require-signature',
  'public-key',
  'certificate-identity',
  'certificate-identity-regexp',
  'certificate-oidc-issuer',
  'require-attestations',
  'require-tags',
  'require-age',
];

/** The sync-mode inputs, or undefined when `sync-tags` is not given (a plain promotion). */
export function getSyncInputs(): SyncInputs | undefined {
  const patterns = getListInput('sync-tags');
  if (patterns.length === 0) return undefined;
  for (const name of NOT_IN_SYNC_MODE) {
    const value = getInput(name);
    if (value !== undefined && value !== 'false') {
      throw new ConfigurationError(
        `is not supported with sync-tags (mirroring applies to every selected tag; promote one image without sync-tags to use it)`,
        name,
      );
    }
  }
  return {
    pairs: resolveSyncPairs(getInput('source'), getListInput('targets')),
    syncTags: compileTagPatterns(patterns, 'sync-tags'),
    syncTagPatterns: patterns,
    syncDelete: getBooleanInput('sync-delete', false),
    maxDeletions: getIntegerInput('max-deletions', { default: 100, min: 0 }),
    parallel: getIntegerInput('parallel', { default: 4, min: 1, max: 32 }),
    conflictPolicy: getEnumInput('conflict-policy', CONFLICT_POLICIES, 'warn'),
    referrers: getEnumInput('referrers', REFERRER_MODES, 'all'),
    immutableTags: parseImmutableTags(getInput('immutable-tags')),
    force: getBooleanInput('force', false),
    dryRun: getBooleanInput('dry-run', false),
  };
}
