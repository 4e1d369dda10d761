// Every input of retention-cleanup, read once and validated into one typed object.
import {
  getBooleanInput,
  getDurationInput,
  getEnumInput,
  getInput,
  getIntegerInput,
  getListInput,
} from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { parseReference } from '#shared/oci/reference.js';
import type { RepositoryRef } from '#shared/oci/client.js';
import { compileTagPatterns, DEFAULT_SEMVER_TAG_PATTERNS } from '#shared/policy/tag-patterns.js';
import type { RetentionPolicy } from './model.js';
import type { ProviderKind } from './model.js';

export const DEFAULT_KEEP_TAGS: readonly string[] = ['latest', ...DEFAULT_SEMVER_TAG_PATTERNS];

export interface RetentionInputs {
  repositories: RepositoryRef[];
  provider: ProviderKind;
  token: string | undefined;
  username: string | undefined;
  password: string | undefined;
  policy: RetentionPolicy;
  keepPatterns: string[];
  deletePatterns: string[];
  keepReferencedIn: string[];
  maxDeletions: number;
  dryRun: boolean;
}

/** `auto` picks by host: ghcr.io -> ghcr, docker.io -> dockerhub, anything else -> oci. */
export function providerFor(repo: RepositoryRef, requested: ProviderKind | 'auto'): ProviderKind {
  if (requested !== 'auto') return requested;
  if (repo.registry === 'ghcr.io') return 'ghcr';
  if (repo.registry === 'docker.io') return 'dockerhub';
  return 'oci';
}

export function parseRepositories(list: readonly string[]): RepositoryRef[] {
  if (list.length === 0)
    throw new ConfigurationError('is required (one repository per line, such as ghcr.io/acme/api)', 'repositories');
  const seen = new Set<string>();
  const out: RepositoryRef[] = [];
  for (const text of list) {
    const ref = parseReference(text, { input: 'repositories', defaultTag: false });
    if (ref.tag || ref.digest) {
      throw new ConfigurationError(
        `'${text}' names a tag or digest; give the repository alone (such as ghcr.io/acme/api)`,
        'repositories',
      );
    }
    const key = `${ref.registry}/${ref.repository}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ registry: ref.registry, repository: ref.repository });
  }
  return out;
}

export function readInputs(): RetentionInputs {
  const repositories = parseRepositories(getListInput('repositories'));
  const requested = getEnumInput('provider', ['auto', 'oci', 'ghcr', 'dockerhub'] as const, 'auto');
  const kinds = new Set(repositories.map((r) => providerFor(r, requested)));
  if (kinds.size > 1) {
    throw new ConfigurationError(
      `the repositories need different providers (${[...kinds].join(', ')}); run one step per provider`,
      'repositories',
    );
  }
  const token = getInput('token');
  const username = getInput('username');
  const password = getInput('password');
  maskSecret(token);
  maskSecret(password);

  const keepText = getListInput('keep-tags');
  const keepPatterns =
    keepText.length === 0 ? [...DEFAULT_KEEP_TAGS] : keepText.length === 1 && keepText[0] === 'none' ? [] : keepText;
  const deletePatterns = getListInput('delete-tags');
  const keepLast = getIntegerInput('keep-last', { min: 0 });
  const olderThanMs = getDurationInput('older-than');
  const policy: RetentionPolicy = {
    keep: compileTagPatterns(keepPatterns, 'keep-tags'),
    untagged: getEnumInput('untagged', ['delete', 'keep'] as const, 'delete'),
  };
  if (deletePatterns.length > 0) policy.delete = compileTagPatterns(deletePatterns, 'delete-tags');
  if (keepLast !== undefined) policy.keepLast = keepLast;
  if (olderThanMs !== undefined) policy.olderThanMs = olderThanMs;
  return {
    repositories,
    provider: [...kinds][0] as ProviderKind,
    token,
    username,
    password,
    policy,
    keepPatterns,
    deletePatterns,
    keepReferencedIn: getListInput('keep-referenced-in'),
    maxDeletions: getIntegerInput('max-deletions', { default: 100, min: 0 }),
    dryRun: getBooleanInput('dry-run', false),
  };
}
