// Lands the edited files: a commit pushed to the branch (on a refusal because the branch moved
// on: fetch, rebase, push again, up to 5 times with backoff; a conflict stops with nothing
// pushed), or a commit on the pull-request branch (rebuilt from the base each run, so pushed
// with force) and one open pull request for it.
import { OperationError } from '#shared/errors.js';
import type { GitIdentity, GitRepo } from '#shared/git/git-repo.js';

export interface PushOptions {
  branch: string;
  token: string | undefined;
  author: GitIdentity;
  /** pushes after the first one (default 5) */
  retries?: number;
  /** first backoff delay, doubled each retry (default 1000 ms) */
  minDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  logger: { info(message: string): void; debug(message: string): void };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Commits `paths` and pushes to `branch`, rebasing onto whatever landed meanwhile. Returns the pushed commit. */
export async function commitAndPush(
  repo: GitRepo,
  paths: readonly string[],
  message: string,
  options: PushOptions,
): Promise<string> {
  await repo.commitPaths(paths, message, options.author);
  const retries = options.retries ?? 5;
  const sleep = options.sleep ?? defaultSleep;
  const token = options.token ? { token: options.token } : {};
  for (let attempt = 0; ; attempt++) {
    const result = await repo.push(options.branch, token);
    if (result === 'pushed') return (await repo.revParse('HEAD')) as string;
    if (attempt >= retries) {
      throw new OperationError(
        `pushing to ${options.branch}`,
        `the branch kept moving; ${retries + 1} pushes were refused (nothing of this run was pushed)`,
      );
    }
    const delay = (options.minDelayMs ?? 1000) * 2 ** attempt;
    options.logger.info(
      `${options.branch} moved on since the checkout; fetching and rebasing (retry ${attempt + 1}/${retries})`,
    );
    await sleep(delay);
    const upstream = await repo.fetchBranch(options.branch, token);
    const conflict = await repo.rebase(upstream, options.author);
    if (conflict) {
      throw new OperationError(
        `rebasing onto ${options.branch} (${upstream.slice(0, 12)})`,
        `a commit that landed meanwhile changed the same lines of ${conflict.conflicts.join(', ')}; nothing was pushed. Run the step again to update from the new state`,
      );
    }
  }
}
