// Every input of gitops-update, read once and validated into one typed object.
import {
  getBooleanInput,
  getEnumInput,
  getInput,
  getLineListInput,
  getListInput,
  getRawInput,
  getRequiredInput,
} from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { authSecrets, type GitIdentity } from '#shared/git/git-repo.js';
import type { MergeMethod } from '#shared/github/pull-requests.js';
import { digestProblem, isValidTag, parseReference } from '#shared/oci/reference.js';

export type Mode = 'commit' | 'pull-request' | 'none';

export interface GitopsInputs {
  /** as given, and parsed */
  imageText: string;
  image: { registry: string; repository: string };
  newImage: string | undefined;
  tag: string | undefined;
  digest: string | undefined;
  files: string[];
  exclude: string[];
  /** owner/name */
  repository: string;
  branch: string | undefined;
  token: string | undefined;
  path: string | undefined;
  mode: Mode;
  prBranch: string;
  commitMessage: string | undefined;
  prTitle: string | undefined;
  prBody: string | undefined;
  prLabels: string[];
  prReviewers: string[];
  autoMerge: MergeMethod | undefined;
  helmKeys: string[];
  fluxPolicy: string | undefined;
  kustomizeAdd: boolean;
  author: GitIdentity;
  dryRun: boolean;
}

// git check-ref-format's rules for a branch name
const BRANCH_SHAPE = /^(?!\/|-|.*(?:\/\/|\.\.|@\{|\/\.|\.lock$|\/$|\.$))[^\s~^:?*[\\]+$/;
const BRANCH_RE = {
  test: (name: string) => BRANCH_SHAPE.test(name) && ![...name].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f'),
};

export function parseImageName(text: string, input: string): { registry: string; repository: string } {
  const ref = parseReference(text, { input, defaultTag: false });
  if (ref.tag || ref.digest) {
    throw new ConfigurationError(
      `'${text}' names a tag or digest; give the image name alone (such as ghcr.io/org/app) and the tag or digest in their inputs`,
      input,
    );
  }
  return { registry: ref.registry, repository: ref.repository };
}

/** `sha256:<64 hex>`; a full reference (`...@sha256:...`, as build-push outputs elsewhere) is not a digest. */
export function parseDigest(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^sha256:[a-f0-9]{64}$/.test(text)) {
    const why = digestProblem(text);
    throw new ConfigurationError(
      `'${text}' is not a digest (expected sha256: followed by 64 lower-case hex digits${why ? `; ${why}` : ''})`,
      'digest',
    );
  }
  return text;
}

export function readInputs(env: NodeJS.ProcessEnv = process.env): GitopsInputs {
  const token = getInput('token');
  for (const secret of authSecrets(token)) maskSecret(secret);

  const imageText = getRequiredInput('image');
  const image = parseImageName(imageText, 'image');
  const newImage = getInput('new-image');
  if (newImage !== undefined) parseImageName(newImage, 'new-image');
  const tag = getInput('tag');
  if (tag !== undefined && !isValidTag(tag)) {
    throw new ConfigurationError(
      `'${tag}' is not a valid tag (letters, digits, '_', '.', '-'; up to 128 characters, not starting with '.' or '-')`,
      'tag',
    );
  }
  const digest = parseDigest(getInput('digest'));
  if (!tag && !digest) throw new ConfigurationError('or digest is required (give at least one of them)', 'tag');

  const files = getLineListInput('files');
  if (files.length === 0)
    throw new ConfigurationError(
      'is required (globs relative to the repository root, such as deploy/**/*.yaml)',
      'files',
    );
  for (const f of files) {
    if (f.startsWith('/') || f.split('/').includes('..'))
      throw new ConfigurationError(`'${f}' leaves the repository; give globs relative to its root`, 'files');
  }
  const exclude = getLineListInput('exclude');

  const repository = getInput('repository') ?? env.GITHUB_REPOSITORY ?? '';
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
    throw new ConfigurationError(`'${repository}' is not owner/name`, 'repository');

  const branch = getInput('branch');
  if (branch !== undefined && !BRANCH_RE.test(branch))
    throw new ConfigurationError(`'${branch}' is not a valid branch name`, 'branch');
  const imageName = image.repository.split('/').at(-1) as string;
  const prBranch = getInput('pr-branch') ?? `gitops/${imageName}`;
  if (!BRANCH_RE.test(prBranch)) throw new ConfigurationError(`'${prBranch}' is not a valid branch name`, 'pr-branch');

  const mode = getEnumInput('mode', ['commit', 'pull-request', 'none'] as const, 'commit');
  if (mode === 'pull-request' && branch !== undefined && branch === prBranch)
    throw new ConfigurationError(`'${prBranch}' is also the base branch; give another branch`, 'pr-branch');
  const autoMergeText = getInput('auto-merge');
  const autoMerge =
    autoMergeText === undefined || autoMergeText === 'false'
      ? undefined
      : getEnumInput('auto-merge', ['merge', 'squash', 'rebase'] as const, 'merge');
  const fluxPolicy = getInput('flux-policy');
  if (fluxPolicy !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(fluxPolicy))
    throw new ConfigurationError(`'${fluxPolicy}' is not namespace:name of an ImagePolicy`, 'flux-policy');
  const helmKeys = getListInput('helm-keys');
  for (const k of helmKeys) {
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(k))
      throw new ConfigurationError(`'${k}' is not a dotted value path (such as controller.image)`, 'helm-keys');
  }
  const author: GitIdentity = {
    name: getInput('author-name') ?? 'github-actions[bot]',
    email: getInput('author-email') ?? '41898282+github-actions[bot]@users.noreply.github.com',
  };

  return {
    imageText,
    image,
    newImage,
    tag,
    digest,
    files,
    exclude,
    repository,
    branch,
    token,
    path: getInput('path'),
    mode,
    prBranch,
    commitMessage: getRawInput('commit-message'),
    prTitle: getInput('pr-title'),
    prBody: getRawInput('pr-body'),
    prLabels: getListInput('pr-labels'),
    prReviewers: getListInput('pr-reviewers'),
    autoMerge,
    helmKeys,
    fluxPolicy,
    kustomizeAdd: getBooleanInput('kustomize-add', false),
    author,
    dryRun: getBooleanInput('dry-run', false),
  };
}
