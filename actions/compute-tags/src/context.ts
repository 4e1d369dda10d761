// What the workflow run says about itself: the event payload (GITHUB_EVENT_PATH) and the
// GITHUB_* variables, reduced to the few facts tag rules and labels need. No network call.
import { readFileSync } from 'node:fs';
import { ConfigurationError } from '#shared/errors.js';

export interface RepositoryInfo {
  name: string;
  fullName: string;
  htmlUrl: string;
  description: string;
  /** SPDX id from the payload (`MIT`), '' when unknown */
  license: string;
  /** undefined when the payload does not say (schedule events carry no repository) */
  defaultBranch: string | undefined;
}

export interface RunContext {
  eventName: string;
  /** refs/heads/main, refs/tags/v1.2.3, refs/pull/123/merge */
  ref: string;
  /** GITHUB_SHA: the commit checked out (the merge commit on pull requests) */
  sha: string;
  /** the pull request's head commit, on pull_request and pull_request_target events */
  prHeadSha: string | undefined;
  prNumber: number | undefined;
  /** the pull request's base branch */
  baseRef: string | undefined;
  runNumber: number | undefined;
  repository: RepositoryInfo;
  /** the head commit's time from the payload, when it carries one */
  commitTimestamp: Date | undefined;
  /** the release event's own prerelease flag */
  releasePrerelease: boolean;
  /** the push payload's base_ref (the branch a pushed tag points into), when given */
  pushBaseRef: string | undefined;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function parseDate(v: unknown): Date | undefined {
  const s = str(v);
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Reads the event payload file; a missing path means an empty payload, a broken file is an error. */
export function readPayload(path: string | undefined): Json {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  try {
    return obj(JSON.parse(text)) ?? {};
  } catch {
    throw new ConfigurationError(`the event payload ${path} (GITHUB_EVENT_PATH) is not JSON`);
  }
}

export function runContext(env: NodeJS.ProcessEnv, payload: Json): RunContext {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const pr = obj(payload.pull_request);
  const repo = obj(payload.repository);
  const fullName = str(repo?.full_name) ?? env.GITHUB_REPOSITORY ?? '';
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const license = obj(repo?.license);
  let ref = env.GITHUB_REF ?? str(payload.ref) ?? '';
  // A release event's GITHUB_REF is its tag; a payload without it still names the tag.
  const release = obj(payload.release);
  if (ref === '' && release && str(release.tag_name)) ref = `refs/tags/${release.tag_name}`;
  // pull_request_target runs on the base branch (GITHUB_REF), but the build is about the pull
  // request: treat it as its merge ref, as docker/metadata-action does, so that no branch tag
  // of the base branch is made from a contributor's code
  if (/^pull_request_target/.test(eventName) && typeof payload.number === 'number') {
    ref = `refs/pull/${payload.number}/merge`;
  }
  const refPr = /^refs\/pull\/(\d+)\//.exec(ref);
  const prNumber = refPr ? Number(refPr[1]) : typeof payload.number === 'number' && pr ? payload.number : undefined;
  const runNumber =
    env.GITHUB_RUN_NUMBER && /^\d+$/.test(env.GITHUB_RUN_NUMBER) ? Number(env.GITHUB_RUN_NUMBER) : undefined;
  const headCommit = obj(payload.head_commit);
  const sha = env.GITHUB_SHA ?? str(payload.after) ?? str(headCommit?.id) ?? '';
  // head_commit and commits[] describe pushed commits; trust a time only for this run's commit
  const headId = str(headCommit?.id);
  const pushed = Array.isArray(payload.commits) ? payload.commits.map(obj).find((c) => c && c.id === sha) : undefined;
  const commitTimestamp =
    parseDate(pushed?.timestamp) ??
    (headId === undefined || headId === sha ? parseDate(headCommit?.timestamp) : undefined);
  return {
    eventName,
    ref,
    sha,
    prHeadSha: str(obj(pr?.head)?.sha),
    prNumber,
    baseRef: str(obj(pr?.base)?.ref),
    runNumber,
    repository: {
      name: str(repo?.name) ?? fullName.split('/').pop() ?? '',
      fullName,
      htmlUrl: str(repo?.html_url) ?? (fullName ? `${server}/${fullName}` : ''),
      description: str(repo?.description) ?? '',
      license: str(license?.spdx_id) ?? '',
      defaultBranch: str(repo?.default_branch),
    },
    commitTimestamp,
    releasePrerelease: release?.prerelease === true,
    pushBaseRef: str(payload.base_ref),
  };
}

export const refBranch = (ref: string): string | undefined =>
  ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
export const refTag = (ref: string): string | undefined =>
  ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
export const isPullRequestEvent = (eventName: string): boolean => /^pull_request/.test(eventName);

/**
 * The commit's time: from the payload (push events carry it), else from git, else the current
 * time (then the created label and timestamp tags change between rebuilds, which `source` says).
 */
export async function resolveCommitTime(
  ctx: Pick<RunContext, 'commitTimestamp' | 'sha'>,
  git: { commitTime(rev: string): Promise<Date> },
  now: Date,
): Promise<{ time: Date; source: 'payload' | 'git' | 'clock'; problem?: string }> {
  if (ctx.commitTimestamp) return { time: ctx.commitTimestamp, source: 'payload' };
  try {
    return { time: await git.commitTime(ctx.sha || 'HEAD'), source: 'git' };
  } catch (err) {
    return { time: now, source: 'clock', problem: (err as Error).message };
  }
}
