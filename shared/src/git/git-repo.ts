// The seam for the git checkout an action runs in: tag names and commit times, each read with
// one `git` process. Callers decide when a read is worth a process; nothing here is cached
// behind their back except what one instance already read.
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

export class GitRepo {
  readonly cwd: string;
  private readonly run: CommandRunner;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly timeoutMs: number;
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
