// Runs a bundled action (dist/<name>/index.js) the way the GitHub runner does: inputs as
// INPUT_* variables with action.yml defaults filled in, the GITHUB_* file commands, the event
// payload, then the post phase with the saved state. Returns everything the step produced.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const repoRoot = resolve(import.meta.dirname, '../..');

export interface RunOptions {
  inputs?: Record<string, string | number | boolean>;
  /** extra environment, over the runner defaults */
  env?: Record<string, string | undefined>;
  /** the webhook payload (object), or a path to a JSON file */
  event?: object | string;
  /** GITHUB_EVENT_NAME (default: push) */
  eventName?: string;
  /** working directory and GITHUB_WORKSPACE (default: a new empty temp dir) */
  workspace?: string;
  /** run the post phase after main when action.yml declares one (default true) */
  post?: boolean;
  /** value for `${{ github.token }}` defaults */
  githubToken?: string;
  timeoutMs?: number;
  /** run a bundle other than dist/<name>/index.js (e.g. a stale copy) */
  bundle?: string;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface PhaseResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  summary: string;
  annotations: Annotation[];
  errors: string[];
  warnings: string[];
  masks: string[];
  durationMs: number;
}

export interface RunResult extends PhaseResult {
  post?: PhaseResult;
  /** every byte the step wrote anywhere (logs, outputs, state, summary, env) of both phases, for secret checks */
  everything: string;
  dir: string;
}

interface ActionMeta {
  inputs: Record<string, { default?: string | number | boolean }>;
  hasPost: boolean;
}

function readActionMeta(name: string): ActionMeta {
  const doc = parseYaml(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: string | number | boolean }>;
    runs?: { post?: string };
  };
  return { inputs: doc.inputs ?? {}, hasPost: Boolean(doc.runs?.post) };
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Reads a GITHUB_OUTPUT/GITHUB_STATE/GITHUB_ENV file: `name<<DELIM` blocks and `name=value` lines. */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i] as string);
      result[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(s: string): string {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

export function parseWorkflowCommands(stdout: string): { annotations: Annotation[]; masks: string[] } {
  const annotations: Annotation[] = [];
  const masks: string[] = [];
  // as the runner: after `::stop-commands::<token>` nothing is a command until `::<token>::`
  let stopToken: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (stopToken !== undefined) {
      if (line.trimStart() === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    if (!m) continue;
    const [, command, props = '', data = ''] = m as unknown as [string, string, string?, string?];
    if (command === 'stop-commands') stopToken = unescapeData(data);
    if (command === 'add-mask') masks.push(unescapeData(data));
    if (command === 'error' || command === 'warning' || command === 'notice') {
      const properties: Record<string, string> = {};
      for (const p of props.split(',').filter(Boolean)) {
        const eq = p.indexOf('=');
        properties[p.slice(0, eq)] = unescapeProperty(p.slice(eq + 1));
      }
      annotations.push({ level: command, message: unescapeData(data), properties });
    }
  }
  return { annotations, masks };
}

function readIfExists(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function runPhase(
  bundle: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  files: { output: string; state: string; env: string; path: string; summary: string },
  timeoutMs: number,
): Promise<PhaseResult> {
  for (const f of Object.values(files)) writeFileSync(f, '');
  const started = Date.now();
  const child = spawn(process.execPath, [bundle], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? 128)));
  clearTimeout(timer);
  const stdout = Buffer.concat(out).toString('utf8');
  const stderr = Buffer.concat(err).toString('utf8');
  const { annotations, masks } = parseWorkflowCommands(stdout);
  return {
    code,
    stdout,
    stderr,
    outputs: parseFileCommands(readIfExists(files.output)),
    state: parseFileCommands(readIfExists(files.state)),
    env: parseFileCommands(readIfExists(files.env)),
    path: readIfExists(files.path).split('\n').filter(Boolean),
    summary: readIfExists(files.summary),
    annotations,
    errors: annotations.filter((a) => a.level === 'error').map((a) => a.message),
    warnings: annotations.filter((a) => a.level === 'warning').map((a) => a.message),
    masks,
    durationMs: Date.now() - started,
  };
}

function everythingOf(p: PhaseResult): string {
  return [
    p.stdout,
    p.stderr,
    p.summary,
    ...Object.entries(p.outputs).flat(),
    ...Object.entries(p.state).flat(),
    ...Object.entries(p.env).flat(),
    ...p.path,
  ].join('\n');
}

export async function runAction(name: string, options: RunOptions = {}): Promise<RunResult> {
  const meta = readActionMeta(name);
  const dir = mkdtempSync(join(tmpdir(), `run-${name}-`));
  const workspace = options.workspace ?? join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp, { recursive: true });
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });

  let eventPath: string;
  if (typeof options.event === 'string') {
    eventPath = resolve(options.event);
  } else {
    eventPath = join(dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event ?? {}));
  }

  const files = {
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    env: join(dir, 'env'),
    path: join(dir, 'path'),
    summary: join(dir, 'summary.md'),
  };

  const base: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: name,
    GITHUB_ACTOR: 'octocat',
    GITHUB_API_URL: 'http://127.0.0.1:9/api',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql',
    GITHUB_REPOSITORY: 'octo-org/octo-app',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_JOB: 'build',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REF_TYPE: 'branch',
    GITHUB_RUN_ID: '1658821493',
    GITHUB_RUN_NUMBER: '42',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: '860c1904a1ce19322e91ac35af1ab07466440c37',
    GITHUB_WORKFLOW: 'release',
    GITHUB_WORKSPACE: workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'test-runner',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(dir, 'toolcache'),
    RUNNER_DEBUG: undefined,
  };

  for (const [input, spec] of Object.entries(meta.inputs)) {
    if (spec.default === undefined) continue;
    const def = String(spec.default).replace(/\$\{\{\s*github\.token\s*\}\}/g, options.githubToken ?? '');
    if (!def.includes('${{')) base[inputEnvName(input)] = def;
  }
  for (const [input, value] of Object.entries(options.inputs ?? {})) base[inputEnvName(input)] = String(value);
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }

  const bundle = options.bundle ?? join(repoRoot, 'dist', name, 'index.js');
  const timeoutMs = options.timeoutMs ?? 120_000;
  const main = await runPhase(bundle, base, workspace, files, timeoutMs);

  let post: PhaseResult | undefined;
  if (meta.hasPost && options.post !== false) {
    const postEnv: NodeJS.ProcessEnv = { ...base };
    for (const [k, v] of Object.entries(main.state)) postEnv[`STATE_${k}`] = v;
    post = await runPhase(bundle, postEnv, workspace, files, timeoutMs);
  }
  const everything = [everythingOf(main), post ? everythingOf(post) : ''].join('\n');
  return { ...main, post, everything, dir };
}
