// Every input of the promote action, read once and validated into one typed object.
import {
  getBooleanInput,
  getDurationInput,
  getEnumInput,
  getInput,
  getListInput,
  getRequiredInput,
} from '#shared/action/inputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { formatPlatform, parsePlatform } from '#shared/oci/copy.js';
import { isValidTag, type Reference } from '#shared/oci/reference.js';
import { parseList } from '#shared/parse.js';
import { compileTagPatterns, DEFAULT_SEMVER_TAG_PATTERNS, type TagMatcher } from '#shared/policy/tag-patterns.js';
import { getSignatureGateInputs, type SignatureGateInputs } from './gate-inputs.js';
import { parseSource, resolveTargets, type Target } from './targets.js';

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

/** `none` protects no tag; not given means the semver defaults. */
export function parseImmutableTags(text: string | undefined): ImmutableTags {
  if (text === undefined) {
    const patterns = [...DEFAULT_SEMVER_TAG_PATTERNS];
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
