// The seam for the git checkout an action runs in: tag names and commit times, each read with
// one `git` process, and the writes gitops-update needs (clone, commit, fetch, rebase, push).
// Callers decide when a read is worth a process; nothing here is cached behind their back
// except what one instance already read. A token reaches git only as an HTTP auth header in the
// environment of the one command that talks to the remote: never in a URL, argv or on disk.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OperationError } from '../errors.js';
import { type CommandRunner, runCommand } from '../exec.js';

export interface GitRepoOptions {
  /** the working tree (default: the current directory) */
  cwd?: string;
  /** default: the shared runCommand */
  run?: CommandRunner;
  env?: NodeJS.ProcessEnv;
  /** kills a git process that hangs (default 15 s) */
  timeoutMs?: number;
}

/** Who a commit is written by: `Name <email>`. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** The GitHub Actions bot, the default author of commits made by an action. */
export const ACTIONS_BOT: GitIdentity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/** How a push ended: landed, or refused because the remote moved on (fetch, rebase, retry). */
export type PushResult = 'pushed' | 'rejected';

/**
 * Environment that hands git an `Authorization` header for one command, without argv or disk.
 * With the remote's URL the header is keyed to its origin and any header configured there
 * before (actions/checkout persists one in .git/config) is reset first: git keeps only the most
 * specific URL match, and two Authorization headers are refused by GitHub.
 */
export function authEnv(token: string | undefined, remoteUrl?: string): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  let origin: string | undefined;
  try {
    const u = remoteUrl ? new URL(remoteUrl) : undefined;
    if (u && (u.protocol === 'https:' || u.protocol === 'http:')) origin = `${u.origin}/`;
  } catch {
    origin = undefined;
  }
  const key = origin ? `http.${origin}.extraheader` : 'http.extraheader';
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `Authorization: Basic ${basic}`,
  };
}

/** The secret forms of a token as git sees it (mask them all). */
export function authSecrets(token: string | undefined): string[] {
  return token ? [token, Buffer.from(`x-access-token:${token}`).toString('base64')] : [];
}

export class GitRepo {
  readonly cwd: string;
  private readonly run: CommandRunner;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly timeoutMs: number;
  /** the remote's URL, for keying the auth header to it (read once, when a token is first used) */
  private remoteUrl: Promise<string | undefined> | undefined;
  private tags: Promise<string[]> | undefined;

  constructor(options: GitRepoOptions = {}) {
    this.cwd = options.cwd ?? process.cwd();
    this.run = options.run ?? runCommand;
    this.env = options.env;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  private git(args: string[], description: string): Promise<string> {
    // GIT_TERMINAL_PROMPT=0: a read must never wait for credentials
    const env = { ...(this.env ?? process.env), GIT_TERMINAL_PROMPT: '0' };
    return this.run('git', args, { cwd: this.cwd, env, timeoutMs: this.timeoutMs, description }).then((r) => r.stdout);
  }

  private async gitWith(
    args: string[],
    description: string,
    options: {
      token?: string;
      allowFailure?: boolean;
      timeoutMs?: number;
      extraEnv?: Record<string, string>;
      input?: string;
      /** the URL the command talks to, when it is not the remote `origin` of this repository */
      url?: string;
    } = {},
  ) {
    let url = options.url;
    if (options.token && url === undefined) {
      this.remoteUrl ??= this.run('git', ['config', '--get', 'remote.origin.url'], {
        cwd: this.cwd,
        env: { ...(this.env ?? process.env), GIT_TERMINAL_PROMPT: '0' },
        allowFailure: true,
      }).then((r) => (r.code === 0 ? r.stdout.trim() : undefined));
      url = await this.remoteUrl;
    }
    const env = {
      ...(this.env ?? process.env),
      GIT_TERMINAL_PROMPT: '0',
      ...authEnv(options.token, url),
      ...options.extraEnv,
    };
    return this.run('git', args, {
      cwd: this.cwd,
      env,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      description,
      allowFailure: options.allowFailure ?? false,
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
  }

  /**
   * Clones `url` into `dir` (one branch, shallow unless `depth` is 0) and returns the repository.
   * Without `branch`, the remote's default branch.
   */
  static async clone(
    url: string,
    dir: string,
    options: GitRepoOptions & { branch?: string; depth?: number; token?: string } = {},
  ): Promise<GitRepo> {
    const parent = new GitRepo({
      ...options,
      cwd: options.cwd ?? process.cwd(),
      timeoutMs: options.timeoutMs ?? 300_000,
    });
    const args = ['clone', '--quiet', '--no-tags', '--single-branch'];
    if (options.depth !== 0) args.push('--depth', String(options.depth ?? 1));
    if (options.branch) args.push('--branch', options.branch);
    args.push('--', url, dir);
    await parent.gitWith(args, `git clone of ${url}${options.branch ? ` (branch ${options.branch})` : ''}`, {
      ...(options.token ? { token: options.token } : {}),
      url,
    });
    return new GitRepo({ ...options, cwd: dir });
  }

  /** The revision a name points at (`HEAD`, a branch), or undefined when there is none. */
  async revParse(rev: string): Promise<string | undefined> {
    const r = await this.gitWith(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], `git rev-parse ${rev}`, {
      allowFailure: true,
    });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The branch checked out, or undefined on a detached HEAD. */
  async currentBranch(): Promise<string | undefined> {
    const r = await this.gitWith(['symbolic-ref', '--quiet', '--short', 'HEAD'], 'git symbolic-ref HEAD', {
      allowFailure: true,
    });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  /** The remote's default branch (its HEAD), asked of the remote itself. */
  async remoteDefaultBranch(remote = 'origin', token?: string): Promise<string> {
    const what = `asking ${remote} for its default branch`;
    const r = await this.gitWith(['ls-remote', '--symref', remote, 'HEAD'], what, {
      ...(token ? { token } : {}),
      timeoutMs: 120_000,
    });
    const m = /^ref: refs\/heads\/(\S+)\s+HEAD$/m.exec(r.stdout);
    if (!m) throw new OperationError(what, 'the remote names no default branch');
    return m[1] as string;
  }

  /** Fetches one branch when the remote has it; undefined when it does not. */
  async fetchBranchIfExists(
    branch: string,
    options: { remote?: string; token?: string } = {},
  ): Promise<string | undefined> {
    const remote = options.remote ?? 'origin';
    const r = await this.gitWith(
      ['ls-remote', '--exit-code', remote, `refs/heads/${branch}`],
      `git ls-remote ${remote} ${branch}`,
      { ...(options.token ? { token: options.token } : {}), allowFailure: true, timeoutMs: 120_000 },
    );
    // exit code 2: the remote answered and has no such branch
    if (r.code === 2) return undefined;
    if (r.code !== 0)
      throw new OperationError(`git ls-remote ${remote} ${branch}`, `exit code ${r.code}: ${r.stderr.trim()}`);
    return this.fetchBranch(branch, options);
  }

  /** True when two commits have the same tree and the same parents (the same change, made again). */
  async sameCommitContent(a: string, b: string): Promise<boolean> {
    const show = async (rev: string) =>
      (
        await this.gitWith(['show', '-s', '--format=%T %P', rev], `git show ${rev}`, { allowFailure: true })
      ).stdout.trim();
    const [x, y] = await Promise.all([show(a), show(b)]);
    return x !== '' && x === y;
  }

  /** Starts (or resets) `branch` at `start` and checks it out. */
  async checkoutNew(branch: string, start = 'HEAD'): Promise<void> {
    await this.gitWith(['checkout', '--quiet', '-B', branch, start], `git checkout -B ${branch}`);
  }

  /** Paths with uncommitted changes among `paths`. */
  async changedPaths(paths: readonly string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    const r = await this.gitWith(['status', '--porcelain=v1', '-z', '--', ...paths], 'git status');
    return r.stdout
      .split('\0')
      .filter(Boolean)
      .map((l) => l.slice(3));
  }

  /** Commits exactly `paths` (nothing else staged is included); returns the new commit. */
  async commitPaths(
    paths: readonly string[],
    message: string,
    author: GitIdentity,
    committer = author,
  ): Promise<string> {
    await this.gitWith(['add', '--', ...paths], 'git add');
    await this.gitWith(['commit', '--quiet', '--no-verify', '--file=-', '--', ...paths], 'git commit', {
      input: message,
      extraEnv: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
      },
    });
    return (await this.revParse('HEAD')) as string;
  }

  /** Fetches one branch of `remote` into `refs/remotes/<remote>/<branch>`. */
  async fetchBranch(
    branch: string,
    options: { remote?: string; token?: string; depth?: number } = {},
  ): Promise<string> {
    const remote = options.remote ?? 'origin';
    const args = ['fetch', '--quiet', '--no-tags'];
    if (options.depth) args.push('--depth', String(options.depth));
    args.push(remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`);
    await this.gitWith(args, `git fetch ${remote} ${branch}`, {
      ...(options.token ? { token: options.token } : {}),
      timeoutMs: 300_000,
    });
    return (await this.revParse(`refs/remotes/${remote}/${branch}`)) as string;
  }

  /**
   * Replays the local commits onto `upstream`. On a conflict the rebase is aborted (the branch is
   * as it was) and the conflicting paths are returned.
   */
  async rebase(upstream: string, committer: GitIdentity): Promise<{ conflicts: string[] } | undefined> {
    const r = await this.gitWith(['rebase', '--quiet', upstream], `git rebase onto ${upstream}`, {
      allowFailure: true,
      extraEnv: { GIT_COMMITTER_NAME: committer.name, GIT_COMMITTER_EMAIL: committer.email },
    });
    if (r.code === 0) return undefined;
    const unmerged = await this.gitWith(['diff', '--name-only', '--diff-filter=U'], 'git diff (conflicts)', {
      allowFailure: true,
    });
    await this.gitWith(['rebase', '--abort'], 'git rebase --abort', { allowFailure: true });
    const conflicts = unmerged.stdout.split('\n').filter(Boolean);
    if (conflicts.length === 0) {
      throw new OperationError(`git rebase onto ${upstream}`, (r.stderr || r.stdout).trim().split('\n').at(-1) ?? '');
    }
    return { conflicts };
  }

  /**
   * Pushes `HEAD` to `branch` of `remote`. A refusal because the remote moved on is returned as
   * 'rejected' (the caller fetches, rebases and tries again); any other failure throws.
   */
  async push(branch: string, options: { remote?: string; token?: string; force?: boolean } = {}): Promise<PushResult> {
    const remote = options.remote ?? 'origin';
    const args = ['push', '--porcelain'];
    if (options.force) args.push('--force');
    args.push(remote, `HEAD:refs/heads/${branch}`);
    const what = `git push to ${branch}`;
    const r = await this.gitWith(args, what, {
      ...(options.token ? { token: options.token } : {}),
      allowFailure: true,
      timeoutMs: 300_000,
    });
    if (r.code === 0) return 'pushed';
    const text = `${r.stdout}\n${r.stderr}`;
    if (
      /\[rejected\]|\(fetch first\)|non-fast-forward|\[remote rejected\].*(cannot lock ref|incorrect old value)/.test(
        text,
      )
    )
      return 'rejected';
    const line = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^(To |Done$)/.test(l))
      .at(-1);
    throw new OperationError(what, `exit code ${r.code}${line ? `: ${line}` : ''}`);
  }

  /** Every tag name of the repository (one `git tag --list`); throws OperationError outside a repository. */
  listTags(): Promise<string[]> {
    this.tags ??= this.git(['tag', '--list'], `git tag --list in ${this.cwd}`).then((out) =>
      out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return this.tags;
  }

  /** The committer date of a revision. */
  async commitTime(rev = 'HEAD'): Promise<Date> {
    const what = `reading the commit time of ${rev} in ${this.cwd}`;
    const out = (await this.git(['log', '-1', '--format=%cI', rev, '--'], what)).trim();
    const date = new Date(out);
    if (out === '' || Number.isNaN(date.getTime())) throw new OperationError(what, `git printed '${out}'`);
    return date;
  }

  /**
   * True when the checkout is shallow (its tags and history may be incomplete), false when it is
   * not, undefined when that cannot be told without running git (a worktree or submodule).
   * Looks at the `.git/shallow` file instead of spawning git.
   */
  isShallow(): boolean | undefined {
    const dotGit = join(this.cwd, '.git');
    try {
      if (!statSync(dotGit).isDirectory()) return undefined;
    } catch {
      return undefined;
    }
    return existsSync(join(dotGit, 'shallow'));
  }
}
