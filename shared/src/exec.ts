// The seam for running external programs (git, docker, buildah, trivy...). Output is
// captured, never streamed to the log, so secrets in a tool's output cannot leak through it.
import { spawn } from 'node:child_process';
import { OperationError } from './errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** written to the program's standard input */
  input?: string;
  /** return the result on a non-zero exit instead of throwing */
  allowFailure?: boolean;
  /** kills the program after this many milliseconds */
  timeoutMs?: number;
  /** how the command is named in errors (default: the program and its first argument) */
  description?: string;
}

export type CommandRunner = (command: string, args: string[], options?: CommandOptions) => Promise<CommandResult>;

/** The last line of a tool's output that says something, for error messages. */
export function lastMeaningfulLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(usage:|see '.*--help')/i.test(l));
  return lines.at(-1) ?? '';
}

export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const description = options.description ?? [command, args[0]].filter(Boolean).join(' ');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    if (options.timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs);
    }
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      const why = e.code === 'ENOENT' ? `'${command}' is not installed or not on PATH` : e.message;
      reject(new OperationError(`running ${description}`, why, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const result = {
        code: code ?? 128,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut) {
        reject(new OperationError(`running ${description}`, `timed out after ${options.timeoutMs} ms`));
      } else if (result.code !== 0 && !options.allowFailure) {
        const line = lastMeaningfulLine(result.stderr) || lastMeaningfulLine(result.stdout);
        const how = signal ? `killed by ${signal}` : `exit code ${result.code}`;
        reject(new OperationError(`running ${description}`, line ? `${how}: ${line}` : how));
      } else {
        resolve(result);
      }
    });
    child.stdin.on('error', () => {
      // the program may exit without reading its input; the exit code tells what happened
    });
    child.stdin.end(options.input ?? '');
  });
