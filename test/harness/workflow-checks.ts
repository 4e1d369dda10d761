// The static checks of workflow wiring (used by test/repo/workflow-calls.test.ts): calls of our
// reusable workflows against their on.workflow_call, steps of our actions against their
// action.yml, and every output an expression reads against the steps and jobs that declare it.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { repoRoot } from './run-action.js';
import {
  contextPaths,
  expressionsIn,
  type Job,
  loadWorkflow,
  needsOf,
  ownActionName,
  ownWorkflowFile,
  parseExpression,
  readActionMeta,
  type Step,
  type Workflow,
  workflowCall,
} from './workflow-model.js';

/** Problems of one `with:` given to one of our actions. */
export function checkActionStep(name: string, given: Record<string, unknown>): string[] {
  const meta = readActionMeta(name);
  if (!meta) return [`actions/${name}/action.yml does not exist`];
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (!(key in meta.inputs))
      problems.push(`${name}: '${key}' is not an input (inputs: ${Object.keys(meta.inputs).join(', ')})`);
  }
  for (const [key, spec] of Object.entries(meta.inputs)) {
    if (spec.required && !(key in given)) problems.push(`${name}: required input '${key}' is not given`);
  }
  return problems;
}

const PERMISSION_RANK: Record<string, number> = { none: 0, read: 1, write: 2 };

function permissionsOf(p: Job['permissions'] | undefined): Record<string, string> | undefined {
  if (p === undefined) return undefined;
  if (p === 'read-all' || p === 'write-all') {
    const level = p === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(
      [
        'actions',
        'checks',
        'contents',
        'deployments',
        'id-token',
        'issues',
        'packages',
        'pages',
        'pull-requests',
        'security-events',
        'statuses',
      ].map((k) => [k, level]),
    );
  }
  return typeof p === 'object' ? p : {};
}

/** Problems of one job that calls one of our reusable workflows. */
export function checkWorkflowCall(caller: Job, called: Workflow): string[] {
  const call = workflowCall(called);
  if (!call) return [`${relative(repoRoot, called.file)} has no on.workflow_call`];
  const problems: string[] = [];
  const inputs = call.inputs ?? {};
  for (const [key, value] of Object.entries(caller.with ?? {})) {
    const spec = inputs[key];
    if (!spec) {
      problems.push(`input '${key}' is not declared (inputs: ${Object.keys(inputs).join(', ')})`);
      continue;
    }
    const isExpression = typeof value === 'string' && /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(value);
    if (isExpression) continue;
    const type = typeof value;
    const ok =
      spec.type === 'boolean' ? type === 'boolean' : spec.type === 'number' ? type === 'number' : type === 'string';
    if (!ok) problems.push(`input '${key}' is a ${spec.type}; given ${JSON.stringify(value)} (${type})`);
  }
  for (const [key, spec] of Object.entries(inputs)) {
    if (spec.required && !(key in (caller.with ?? {}))) problems.push(`required input '${key}' is not given`);
  }
  const secrets = call.secrets ?? {};
  if (caller.secrets !== 'inherit') {
    for (const key of Object.keys(caller.secrets ?? {})) {
      if (!(key in secrets))
        problems.push(`secret '${key}' is not declared (secrets: ${Object.keys(secrets).join(', ') || 'none'})`);
    }
    for (const [key, spec] of Object.entries(secrets)) {
      if (spec.required && !(key in (caller.secrets ?? {}))) problems.push(`required secret '${key}' is not given`);
    }
  }
  // GitHub refuses to start a called job that asks for more than its caller grants
  const granted = permissionsOf(caller.permissions);
  if (granted) {
    for (const [jobId, job] of Object.entries(called.jobs)) {
      const asked = permissionsOf(job.permissions ?? called.permissions) ?? {};
      for (const [scope, level] of Object.entries(asked)) {
        if ((PERMISSION_RANK[level] ?? 0) > (PERMISSION_RANK[granted[scope] ?? 'none'] ?? 0)) {
          problems.push(
            `job '${jobId}' asks for ${scope}: ${level}; the caller grants ${scope}: ${granted[scope] ?? 'none'}`,
          );
        }
      }
    }
  }
  return problems;
}

/** Outputs a step declares: our action's action.yml outputs; `run` steps write what they write (unknown). */
function stepOutputs(step: Step): string[] | undefined {
  const name = ownActionName(step.uses);
  const meta = name ? readActionMeta(name) : undefined;
  // a missing action.yml is reported by the input check
  return meta ? Object.keys(meta.outputs) : undefined;
}

/** A job's outputs; a job that calls one of our reusable workflows has that workflow's outputs. */
function jobOutputs(job: Job | undefined): Record<string, unknown> {
  const file = ownWorkflowFile(job?.uses);
  if (file && existsSync(file)) return workflowCall(loadWorkflow(file))?.outputs ?? {};
  return job?.outputs ?? {};
}

/** Every `steps.x.outputs.y` / `needs.j.outputs.k` / `jobs.j.outputs.k` read in a workflow, checked. */
export function checkReferences(w: Workflow): string[] {
  const problems: string[] = [];
  const call = workflowCall(w);
  const paths = (value: unknown, isCondition = false) =>
    expressionsIn(value, isCondition).flatMap((e) => contextPaths(parseExpression(e)));
  for (const [jobId, job] of Object.entries(w.jobs)) {
    const needs = needsOf(job);
    const checkNeeds = (where: string, value: unknown, isCondition = false) => {
      for (const p of paths(value, isCondition)) {
        if (p[0] !== 'needs') continue;
        const [, target, kind, output] = p;
        if (!target || target === '*') continue;
        if (!needs.includes(target))
          problems.push(`${jobId} ${where}: needs.${target} but the job does not need ${target}`);
        else if (kind === 'outputs' && output && output !== '*' && !(output in jobOutputs(w.jobs[target]))) {
          problems.push(`${jobId} ${where}: job ${target} has no output '${output}'`);
        }
      }
    };
    checkNeeds('if', job.if, true);
    checkNeeds('strategy', job.strategy);
    checkNeeds('runs-on', (job as { 'runs-on'?: unknown })['runs-on']);
    for (const [k, v] of Object.entries(job.with ?? {})) checkNeeds(`with.${k}`, v);
    const seen: Step[] = [];
    const checkSteps = (where: string, value: unknown, isCondition = false) => {
      checkNeeds(where, value, isCondition);
      for (const p of paths(value, isCondition)) {
        if (p[0] !== 'steps') continue;
        const [, id, kind, output] = p;
        if (!id || id === '*') continue;
        const step = seen.find((s) => s.id === id);
        if (!step) {
          problems.push(`${jobId} ${where}: steps.${id} is not an earlier step of the job`);
          continue;
        }
        const declared = stepOutputs(step);
        if (kind === 'outputs' && output && output !== '*' && declared && !declared.includes(output)) {
          problems.push(`${jobId} ${where}: step ${id} (${step.uses}) has no output '${output}'`);
        }
      }
    };
    for (const [i, step] of (job.steps ?? []).entries()) {
      const label = `step ${step.id ?? step.name ?? i + 1}`;
      checkSteps(`${label} if`, step.if, true);
      for (const [k, v] of Object.entries(step.with ?? {})) checkSteps(`${label} with.${k}`, v);
      for (const [k, v] of Object.entries(step.env ?? {})) checkSteps(`${label} env.${k}`, v);
      checkSteps(`${label} run`, step.run);
      seen.push(step);
    }
    for (const [k, v] of Object.entries(job.outputs ?? {})) checkSteps(`outputs.${k}`, v);
  }
  for (const [k, spec] of Object.entries(call?.outputs ?? {})) {
    for (const p of paths(spec.value)) {
      if (p[0] !== 'jobs') continue;
      const [, target, kind, output] = p;
      if (!target || !(target in w.jobs)) problems.push(`workflow output ${k}: no job ${target}`);
      else if (kind === 'outputs' && output && !(output in (w.jobs[target]?.outputs ?? {}))) {
        problems.push(`workflow output ${k}: job ${target} has no output '${output}'`);
      }
    }
  }
  return problems;
}
