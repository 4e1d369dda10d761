// The seam for running external programs (git, docker, buildah, trivy...). Output is captured;
// a long program's lines can also be handed on as they arrive (`onLine`), for a live log that
// goes through the action's log module (commands stopped, secrets masked by the runner), never
// straight to stdout from here.
import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
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
  /** every line of output as it arrives, stdout and stderr alike (for a live log) */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** keep only the last N lines of each stream in the result (a chatty program streamed live) */
  tailLines?: number;
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

/**
 * Collects one output stream: whole lines go to `onLine` as they complete (CR, LF and CRLF end
 * a line, so progress bars redrawn with CR show each state), and the text is kept in full or,
 * with `tail`, as its last lines only.
 */
class OutputCollector {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly chunks: string[] = [];
  private readonly lines: string[] = [];

  constructor(
    private readonly stream: 'stdout' | 'stderr',
    private readonly onLine?: CommandOptions['onLine'],
    private readonly tail?: number,
  ) {}

  push(data: Buffer): void {
    const text = this.decoder.write(data);
    if (!this.tail) this.chunks.push(text);
    if (!this.onLine && !this.tail) return;
    let combined = this.partial + text;
    // a CR at the end may be the first half of a CRLF split across two chunks: wait for the next
    const carry = combined.endsWith('\r') ? '\r' : '';
    if (carry) combined = combined.slice(0, -1);
    const parts = combined.split(/\r\n|\n|\r/);
    this.partial = (parts.pop() ?? '') + carry;
    for (const line of parts) this.line(line);
  }

  end(): string {
    const rest = this.decoder.end();
    if (!this.tail) this.chunks.push(rest);
    if (this.onLine || this.tail) {
      const last = (this.partial + rest).replace(/\r$/, '');
      if (last !== '') this.line(last);
      this.partial = '';
    }
    return this.tail ? this.lines.join('\n') : this.chunks.join('');
  }

  private line(line: string): void {
    this.onLine?.(line, this.stream);
    if (!this.tail) return;
    this.lines.push(line);
    if (this.lines.length > this.tail) this.lines.shift();
  }
}

export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const description = options.description ?? [command, args[0]].filter(Boolean).join(' ');
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out = new OutputCollector('stdout', options.onLine, options.tailLines);
    const err = new OutputCollector('stderr', options.onLine, options.tailLines);
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
        stdout: out.end(),
        stderr: err.end(),
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
