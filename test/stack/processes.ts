// Child processes of the test stack: started with their output in a log file, tracked so that
// teardown stops each of them and waits for it, and so that they are also told to stop when
// the vitest process exits without running teardown (Ctrl-C, a crash, process.exit).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** resolves with the exit code (or signal name) once the process is gone */
  exited: Promise<string>;
}

const running = new Set<Managed>();
const exitCallbacks = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: signal, then wait by polling /proc, then clean up.
  process.on('exit', () => {
    const pids: number[] = [];
    for (const m of running) {
      try {
        m.child.kill('SIGTERM');
        if (m.child.pid !== undefined) pids.push(m.child.pid);
      } catch {
        // already gone
      }
    }
    waitGoneSync(pids, 15_000);
    for (const fn of exitCallbacks) {
      try {
        fn();
      } catch {
        // best effort while exiting
      }
    }
  });
}

/** Runs `fn` synchronously when this process exits without teardown; returns a remover. */
export function onExitSync(fn: () => void): () => void {
  installExitHook();
  exitCallbacks.add(fn);
  return () => exitCallbacks.delete(fn);
}

/** Dead or a zombie (an exiting process cannot reap its children any more). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function waitGoneSync(pids: number[], timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (pids.some((p) => !gone(p)) && Date.now() < deadline) Atomics.wait(pause, 0, 0, 50);
}

/** Starts `command` with stdout and stderr appended to `logFile`. */
export function startProcess(name: string, command: string, args: string[], logFile: string): Managed {
  installExitHook();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // detached:false keeps the child in vitest's process group, so a terminal's Ctrl-C reaches it too
    child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: false });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  const managed: Managed = { name, child, logFile, exited };
  running.add(managed);
  void exited.then(() => running.delete(managed));
  return managed;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait again. */
export async function stopProcess(m: Managed, graceMs = 10_000): Promise<void> {
  if (m.child.exitCode !== null || m.child.signalCode !== null || m.child.pid === undefined) {
    running.delete(m);
    return;
  }
  m.child.kill('SIGTERM');
  if (await within(m.exited, graceMs)) return;
  m.child.kill('SIGKILL');
  await within(m.exited, 5_000);
}

async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last lines of a log file, for error messages about a component that did not start. */
export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '(no log written)';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n') || '(log is empty)';
}

/** A TCP port that was free on 127.0.0.1 a moment ago (callers retry if it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Absolute path of an executable found on PATH, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command to completion without a shell; never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, cwd: opts.cwd },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const extra = error && typeof error.code !== 'number' ? `\n${error.message}` : '';
        resolve({ stdout: String(stdout), stderr: String(stderr) + extra, code });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
