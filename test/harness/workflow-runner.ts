// Runs a reusable workflow locally the way GitHub would, job by job in dependency order: matrix
// legs, `if:` conditions, `with:`/`env:`/`run:` expressions evaluated by @actions/expressions
// against what earlier steps and jobs really produced, our actions' bundles through the runner
// protocol (run-action.ts, post steps at the end of the job), `run:` steps by bash with the
// GITHUB_OUTPUT/GITHUB_ENV files. Steps of actions that are not ours run through stand-ins that
// do what those actions do (listed in STAND_INS); any other action stops the run. Every read of
// a step, job, input, secret or matrix value that nobody produced is recorded as a miss.
//
// Not modelled: concurrency groups, environment protection rules, runs-on labels (recorded,
// every leg runs here), permissions (checked statically in workflow-checks.ts).
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { data } from '@actions/expressions';
import { parse as parseYaml } from 'yaml';
import { parseFileCommands, type RunResult, repoRoot, runAction } from './run-action.js';
import {
  Contexts,
  type Job,
  jobOrder,
  loadWorkflow,
  needsOf,
  ownActionName,
  toData,
  type Workflow,
  workflowCall,
} from './workflow-model.js';

export interface Leg {
  job: string;
  matrix: Record<string, unknown>;
  workspace: string;
  temp: string;
  env: Record<string, string>;
}

export interface StepRecord {
  job: string;
  matrix: Record<string, unknown>;
  step: string;
  uses?: string;
  kind: 'action' | 'stand-in' | 'run' | 'skipped';
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  outcome: 'success' | 'failure' | 'skipped';
  result?: RunResult;
  error?: string;
}

export interface StandInContext {
  leg: Leg;
  artifacts: string;
  options: WorkflowRunOptions;
}

/** What a foreign action does, done here: returns its outputs, throws when the action would fail. */
export type StandIn = (inputs: Record<string, string>, ctx: StandInContext) => Record<string, string>;

export interface WorkflowRunOptions {
  inputs?: Record<string, string | number | boolean>;
  secrets?: Record<string, string>;
  /** the github context (repository, actor, ref, sha, event_name, event, token, ...) */
  github: Record<string, unknown>;
  /** the repository actions/checkout clones (a local git repository) */
  checkoutFrom?: string;
  /** extra runner environment of every leg (tool caches, fake service URLs, ...) */
  env?: (leg: Pick<Leg, 'job' | 'matrix'>) => Record<string, string>;
  /** more stand-ins, by `owner/name` of the action */
  standIns?: Record<string, StandIn>;
  onStep?: (record: StepRecord) => void;
  /** tools already in the runner's tool cache, as on a runner that installed them before */
  toolCache?: (dir: string) => void;
  timeoutMs?: number;
}

export interface JobRecord {
  result: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  legs: Array<{ matrix: Record<string, unknown>; runsOn: string; result: 'success' | 'failure' }>;
}

export interface WorkflowRun {
  jobs: Record<string, JobRecord>;
  outputs: Record<string, string>;
  steps: StepRecord[];
  misses: string[];
  dir: string;
}

function copyInto(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  cpSync(from, join(to, basename(from)), { recursive: true });
}

/** actions/upload-artifact v4: paths (a folder's content, files, `dir/*`), one immutable artifact per name. */
const uploadArtifact: StandIn = (inputs, { artifacts }) => {
  const name = inputs.name || 'artifact';
  const target = join(artifacts, name);
  if (existsSync(target)) throw new Error(`an artifact named ${name} exists already (v4 artifacts are immutable)`);
  let count = 0;
  for (const line of (inputs.path ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    if (line.endsWith('/*')) {
      const dir = line.slice(0, -2);
      for (const f of existsSync(dir) ? readdirSync(dir) : []) {
        copyInto(join(dir, f), target);
        count++;
      }
    } else if (existsSync(line) && statSync(line).isDirectory()) {
      for (const f of readdirSync(line)) {
        copyInto(join(line, f), target);
        count++;
      }
    } else if (existsSync(line)) {
      copyInto(line, target);
      count++;
    }
  }
  if (count === 0 && (inputs['if-no-files-found'] ?? 'warn') === 'error') {
    throw new Error(`no files found at ${inputs.path}`);
  }
  mkdirSync(target, { recursive: true });
  return { 'artifact-id': String(readdirSync(artifacts).length), 'artifact-url': `artifact://${name}` };
};

/** actions/download-artifact v4: by name, or by pattern (each into its own folder unless merge-multiple). */
const downloadArtifact: StandIn = (inputs, { artifacts, leg }) => {
  const path = inputs.path || leg.workspace;
  const all = existsSync(artifacts) ? readdirSync(artifacts) : [];
  if (inputs.name) {
    if (!all.includes(inputs.name))
      throw new Error(`Unable to download artifact(s): Artifact not found for name: ${inputs.name}`);
    cpSync(join(artifacts, inputs.name), path, { recursive: true });
    return { 'download-path': path };
  }
  const re = new RegExp(`^${(inputs.pattern || '*').replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  for (const name of all.filter((n) => re.test(n))) {
    cpSync(join(artifacts, name), inputs['merge-multiple'] === 'true' ? path : join(path, name), { recursive: true });
  }
  mkdirSync(path, { recursive: true });
  return { 'download-path': path };
};

/** actions/checkout: a full clone of the repository under test (history and tags, as fetch-depth: 0 gives). */
const checkout: StandIn = (_inputs, { leg, options }) => {
  if (!options.checkoutFrom) throw new Error('actions/checkout needs checkoutFrom');
  const r = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', options.checkoutFrom, leg.workspace], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git clone failed: ${r.stderr}`);
  return { ref: String(options.github.ref ?? ''), commit: String(options.github.sha ?? '') };
};

/** github/codeql-action/upload-sarif: the file must be SARIF 2.1.0; it is kept as the artifact `code-scanning`. */
const uploadSarif: StandIn = (inputs, ctx) => {
  const file = inputs.sarif_file ?? '';
  const sarif = JSON.parse(readFileSync(file, 'utf8')) as { version?: string; runs?: unknown[] };
  if (sarif.version !== '2.1.0' || !Array.isArray(sarif.runs)) throw new Error(`${file} is not SARIF 2.1.0`);
  const target = join(ctx.artifacts, '.code-scanning', inputs.category || 'default');
  mkdirSync(target, { recursive: true });
  cpSync(file, join(target, basename(file)));
  return { 'sarif-id': `local-${basename(file)}` };
};

/** The actions that are not ours, and what stands in for each. */
export const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': checkout,
  'actions/upload-artifact': uploadArtifact,
  'actions/download-artifact': downloadArtifact,
  'github/codeql-action/upload-sarif': uploadSarif,
};

function hasPost(name: string): boolean {
  const doc = parseYaml(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as {
    runs?: { post?: string };
  };
  return Boolean(doc.runs?.post);
}

function plain(d: data.ExpressionData): unknown {
  return JSON.parse(JSON.stringify(d, data.replacer) ?? 'null');
}

/** The matrix legs of a job: keys crossed, then `include` entries (enough for these workflows). */
function expandMatrix(job: Job, ctx: Contexts): Array<Record<string, unknown>> {
  const spec = job.strategy?.matrix;
  if (spec === undefined) return [{}];
  const evalValue = (v: unknown): unknown => {
    if (typeof v === 'string' && /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(v)) {
      return plain(ctx.evaluate((/\$\{\{([\s\S]*)\}\}/.exec(v) as RegExpExecArray)[1] as string));
    }
    return v;
  };
  const matrix = evalValue(spec) as Record<string, unknown>;
  let legs: Array<Record<string, unknown>> = [{}];
  for (const [key, raw] of Object.entries(matrix)) {
    if (key === 'include' || key === 'exclude') continue;
    const values = evalValue(raw);
    if (!Array.isArray(values)) throw new Error(`matrix.${key} is not a list`);
    legs = legs.flatMap((l) => values.map((v) => ({ ...l, [key]: v })));
  }
  const include = evalValue(matrix.include);
  if (Array.isArray(include)) {
    const crossed = Object.keys(matrix).some((k) => k !== 'include' && k !== 'exclude');
    legs = crossed
      ? [...legs, ...(include as Array<Record<string, unknown>>)]
      : (include as Array<Record<string, unknown>>);
  }
  if (legs.length === 0) throw new Error('the matrix has no legs (GitHub fails such a job)');
  return legs;
}

export async function runWorkflow(file: string, options: WorkflowRunOptions): Promise<WorkflowRun> {
  const workflow: Workflow = loadWorkflow(file);
  const call = workflowCall(workflow) ?? {};
  const dir = mkdtempSync(join(tmpdir(), 'workflow-'));
  const artifacts = join(dir, 'artifacts');
  mkdirSync(artifacts);
  const steps: StepRecord[] = [];
  const jobs: Record<string, JobRecord> = {};
  const allMisses = new Set<string>();

  const inputValues: Record<string, string | number | boolean> = {};
  for (const [k, spec] of Object.entries(call.inputs ?? {})) {
    if (options.inputs && k in options.inputs) inputValues[k] = options.inputs[k] as string | number | boolean;
    else if (spec.default !== undefined) inputValues[k] = spec.default as string | number | boolean;
    else if (spec.required) throw new Error(`input ${k} is required`);
    else inputValues[k] = spec.type === 'boolean' ? false : spec.type === 'number' ? 0 : '';
  }
  for (const k of Object.keys(options.inputs ?? {})) {
    if (!(k in (call.inputs ?? {}))) throw new Error(`input ${k} is not declared by ${basename(file)}`);
  }
  const secretValues: Record<string, string> = {};
  for (const k of Object.keys(call.secrets ?? {})) secretValues[k] = options.secrets?.[k] ?? '';

  const baseContexts = (ctx: Contexts) => {
    ctx.set('inputs', ctx.strictStrings(inputValues));
    ctx.set('secrets', ctx.strictStrings({ ...secretValues, GITHUB_TOKEN: String(options.github.token ?? '') }));
    ctx.set('github', toData(options.github));
    ctx.set('vars', toData({}));
  };

  for (const jobId of jobOrder(workflow.jobs)) {
    const job = workflow.jobs[jobId] as Job;
    const needs = needsOf(job);
    const ctx = new Contexts();
    baseContexts(ctx);
    ctx.set(
      'needs',
      ctx.strict(
        Object.fromEntries(
          needs.map((n) => [
            n,
            ctx.strict({ result: toData(jobs[n]?.result), outputs: ctx.strictStrings(jobs[n]?.outputs ?? {}) }),
          ]),
        ),
      ),
    );
    const needsOk = needs.every((n) => jobs[n]?.result === 'success');
    let run: boolean;
    try {
      run = ctx.condition(job.if, { success: needsOk });
    } catch (err) {
      throw new Error(`job ${jobId} if: ${(err as Error).message}`);
    }
    for (const m of ctx.misses) allMisses.add(`${jobId} if: ${m}`);
    if (!run) {
      // a skipped job's outputs are empty strings, as on GitHub
      jobs[jobId] = {
        result: 'skipped',
        outputs: Object.fromEntries(Object.keys(job.outputs ?? {}).map((k) => [k, ''])),
        legs: [],
      };
      continue;
    }
    if (job.uses) throw new Error(`job ${jobId} calls ${job.uses}: nested reusable workflows are not run here`);
    const record: JobRecord = { result: 'success', outputs: {}, legs: [] };
    jobs[jobId] = record;
    let legs: Array<Record<string, unknown>>;
    try {
      legs = expandMatrix(job, ctx);
    } catch (err) {
      // GitHub fails the job when its matrix cannot be evaluated
      record.result = 'failure';
      const failure: StepRecord = {
        job: jobId,
        matrix: {},
        step: 'strategy.matrix',
        kind: 'run',
        inputs: {},
        outputs: {},
        outcome: 'failure',
        error: (err as Error).message,
      };
      steps.push(failure);
      options.onStep?.(failure);
      legs = [];
    }
    for (const matrix of legs) {
      for (const m of ctx.misses) allMisses.add(`${jobId} strategy: ${m}`);
      const legResult = await runLeg(jobId, job, matrix);
      record.legs.push(legResult.leg);
      if (legResult.leg.result === 'failure') record.result = 'failure';
      for (const [k, v] of Object.entries(legResult.outputs)) if (v !== '') record.outputs[k] = v;
      for (const o of Object.keys(job.outputs ?? {})) record.outputs[o] ??= '';
    }
  }

  async function runLeg(
    jobId: string,
    job: Job,
    matrix: Record<string, unknown>,
  ): Promise<{ leg: JobRecord['legs'][number]; outputs: Record<string, string> }> {
    const legDir = mkdtempSync(join(dir, `${jobId}-`));
    const leg: Leg = {
      job: jobId,
      matrix,
      workspace: join(legDir, 'workspace'),
      temp: join(legDir, 'temp'),
      env: {},
    };
    mkdirSync(leg.workspace);
    mkdirSync(leg.temp);
    mkdirSync(join(legDir, 'home'));
    mkdirSync(join(legDir, 'toolcache'));
    options.toolCache?.(join(legDir, 'toolcache'));
    const ctx = new Contexts();
    baseContexts(ctx);
    const needs = needsOf(job);
    ctx.set(
      'needs',
      ctx.strict(
        Object.fromEntries(
          needs.map((n) => [
            n,
            ctx.strict({ result: toData(jobs[n]?.result), outputs: ctx.strictStrings(jobs[n]?.outputs ?? {}) }),
          ]),
        ),
      ),
    );
    ctx.set('matrix', ctx.strict(Object.fromEntries(Object.entries(matrix).map(([k, v]) => [k, toData(v)]))));
    ctx.set('runner', toData({ temp: leg.temp, os: 'Linux', arch: 'X64', tool_cache: join(legDir, 'toolcache') }));
    const stepsCtx = ctx.strict({});
    ctx.set('steps', stepsCtx);
    const github = options.github as Record<string, string | object>;
    leg.env = {
      GITHUB_REPOSITORY: String(github.repository ?? ''),
      GITHUB_REPOSITORY_OWNER: String(github.repository_owner ?? ''),
      GITHUB_REF: String(github.ref ?? ''),
      GITHUB_REF_NAME: String(github.ref_name ?? ''),
      GITHUB_REF_TYPE: String(github.ref_type ?? ''),
      GITHUB_SHA: String(github.sha ?? ''),
      GITHUB_ACTOR: String(github.actor ?? ''),
      GITHUB_WORKFLOW_REF: String(github.workflow_ref ?? ''),
      GITHUB_JOB: jobId,
      GITHUB_WORKSPACE: leg.workspace,
      RUNNER_TEMP: leg.temp,
      RUNNER_TOOL_CACHE: join(legDir, 'toolcache'),
      HOME: join(legDir, 'home'),
      DOCKER_CONFIG: join(legDir, 'home', '.docker'),
      ...(options.env?.({ job: jobId, matrix }) ?? {}),
    };
    let failed = false;
    const legErrors: string[] = [];
    // an expression that cannot be evaluated fails the job on GitHub
    const attempt = <T>(what: string, fn: () => T, fallback: T): T => {
      try {
        return fn();
      } catch (err) {
        legErrors.push(`${what}: ${(err as Error).message}`);
        failed = true;
        return fallback;
      }
    };
    const runsOn = attempt('runs-on', () => ctx.render((job as { 'runs-on'?: unknown })['runs-on']), '');
    const posts: Array<{ name: string; state: Record<string, string>; inputs: Record<string, string> }> = [];

    for (const [i, step] of (job.steps ?? []).entries()) {
      const label = step.id ?? step.name ?? `${i + 1}`;
      const before = ctx.misses.length;
      const go = attempt(`step ${label} if`, () => ctx.condition(step.if, { success: !failed }), false);
      const stepRecord: StepRecord = {
        job: jobId,
        matrix,
        step: label,
        uses: step.uses,
        kind: 'skipped',
        inputs: {},
        outputs: {},
        outcome: 'skipped',
      };
      if (go) {
        const stepEnv: Record<string, string> = {};
        try {
          for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = ctx.render(v);
          for (const [k, v] of Object.entries(step.with ?? {})) stepRecord.inputs[k] = ctx.render(v);
          const name = ownActionName(step.uses);
          if (name) {
            stepRecord.kind = 'action';
            if (!existsSync(join(repoRoot, 'dist', name, 'index.js')))
              throw new Error(`dist/${name}/index.js is not built`);
            const r = await runAction(name, {
              inputs: stepRecord.inputs,
              env: { ...leg.env, ...stepEnv },
              workspace: leg.workspace,
              event: (github.event as object | undefined) ?? {},
              eventName: String(github.event_name ?? 'push'),
              githubToken: String(github.token ?? ''),
              post: false,
              timeoutMs: options.timeoutMs ?? 300_000,
            });
            stepRecord.result = r;
            stepRecord.outputs = r.outputs;
            for (const [k, v] of Object.entries(r.env)) leg.env[k] = v;
            if (hasPost(name)) posts.push({ name, state: r.state, inputs: stepRecord.inputs });
            if (r.code !== 0)
              throw new Error(`${name} failed (exit ${r.code}): ${r.errors.join('; ') || r.stderr.slice(-400)}`);
          } else if (step.uses) {
            stepRecord.kind = 'stand-in';
            const key = step.uses.replace(/@.*$/, '');
            const standIn = options.standIns?.[key] ?? STAND_INS[key];
            if (!standIn) throw new Error(`no stand-in for ${step.uses}: add one to STAND_INS, saying what it does`);
            stepRecord.outputs = standIn(stepRecord.inputs, { leg, artifacts, options });
          } else if (step.run !== undefined) {
            stepRecord.kind = 'run';
            stepRecord.outputs = runScript(ctx.render(step.run), { ...leg.env, ...stepEnv }, leg);
          }
          stepRecord.outcome = 'success';
        } catch (err) {
          stepRecord.outcome = 'failure';
          stepRecord.error = (err as Error).message;
          failed = true;
        }
      }
      for (const m of ctx.misses.slice(before)) allMisses.add(`${jobId} step ${label}: ${m}`);
      if (step.id) {
        stepsCtx.add(
          step.id,
          ctx.strict({
            // a skipped or failed step's outputs read as empty strings, as on GitHub; a step
            // that succeeded must have written what is read from it
            outputs:
              stepRecord.outcome === 'success' ? ctx.strictStrings(stepRecord.outputs) : toData(stepRecord.outputs),
            outcome: toData(stepRecord.outcome),
            conclusion: toData(stepRecord.outcome),
          }),
        );
      }
      steps.push(stepRecord);
      options.onStep?.(stepRecord);
    }
    // post steps in reverse order, as the runner runs them
    for (const post of posts.reverse()) {
      const stateEnv = Object.fromEntries(Object.entries(post.state).map(([k, v]) => [`STATE_${k}`, v]));
      const r = await runAction(post.name, {
        inputs: post.inputs,
        env: { ...leg.env, ...stateEnv, STATE_isPost: 'true' },
        workspace: leg.workspace,
        post: false,
      });
      if (r.code !== 0) failed = true;
    }
    const outputs: Record<string, string> = {};
    const before = ctx.misses.length;
    for (const [k, v] of Object.entries(job.outputs ?? {}))
      outputs[k] = attempt(`outputs.${k}`, () => ctx.render(v), '');
    for (const e of legErrors) {
      const failure: StepRecord = {
        job: jobId,
        matrix,
        step: e.split(':')[0] as string,
        kind: 'run',
        inputs: {},
        outputs: {},
        outcome: 'failure',
        error: e,
      };
      steps.push(failure);
      options.onStep?.(failure);
    }
    for (const m of ctx.misses.slice(before)) allMisses.add(`${jobId} outputs: ${m}`);
    return { leg: { matrix, runsOn, result: failed ? 'failure' : 'success' }, outputs };
  }

  function runScript(script: string, env: Record<string, string>, leg: Leg): Record<string, string> {
    const files = mkdtempSync(join(leg.temp, '.step-'));
    const out = join(files, 'output');
    const envFile = join(files, 'env');
    writeFileSync(out, '');
    writeFileSync(envFile, '');
    const scriptFile = join(files, 'script.sh');
    writeFileSync(scriptFile, script);
    // the runner's default shell for run steps
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', scriptFile], {
      cwd: leg.workspace,
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8', CI: 'true', ...env, GITHUB_OUTPUT: out, GITHUB_ENV: envFile },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0)
      throw new Error(`run step failed (exit ${r.status}): ${(r.stdout + r.stderr).trim().slice(-600)}`);
    for (const [k, v] of Object.entries(parseFileCommands(readFileSync(envFile, 'utf8')))) leg.env[k] = v;
    return parseFileCommands(readFileSync(out, 'utf8'));
  }

  // the workflow's outputs, from the jobs' outputs
  const outCtx = new Contexts();
  baseContexts(outCtx);
  outCtx.set(
    'jobs',
    outCtx.strict(
      Object.fromEntries(
        Object.entries(jobs).map(([id, j]) => [
          id,
          outCtx.strict({ result: toData(j.result), outputs: outCtx.strictStrings(j.outputs) }),
        ]),
      ),
    ),
  );
  const outputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(call.outputs ?? {})) outputs[k] = outCtx.render(spec.value);
  for (const m of outCtx.misses) allMisses.add(`workflow outputs: ${m}`);
  return { jobs, outputs, steps, misses: [...allMisses], dir };
}
