// What the workflow tests need to know about a workflow file without GitHub: its jobs in
// dependency order, which `uses:` are this repository's actions and reusable workflows, the
// context paths an expression reads (steps.x.outputs.y, needs.j.outputs.k, ...), and an
// evaluator of GitHub expressions (@actions/expressions) that records every read of a name that
// is not there instead of quietly yielding null as the runner does.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { Expr } from '@actions/expressions';
import type { IndexAccess } from '@actions/expressions/ast';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './run-action.js';

export interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string | boolean;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
  needs?: string | string[];
  if?: string | boolean;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  permissions?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown> | string; 'max-parallel'?: number };
  outputs?: Record<string, string>;
  steps?: Step[];
  environment?: unknown;
}

export interface WorkflowCall {
  inputs?: Record<string, { type: string; required?: boolean; default?: unknown; description?: string }>;
  secrets?: Record<string, { required?: boolean; description?: string }>;
  outputs?: Record<string, { value: string; description?: string }>;
}

export interface Workflow {
  file: string;
  name?: string;
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
  permissions?: Record<string, string> | string;
}

export interface ActionMeta {
  inputs: Record<string, { required?: boolean; default?: unknown; description?: string }>;
  outputs: Record<string, { description?: string }>;
}

export function loadWorkflow(file: string): Workflow {
  const doc = parseYaml(readFileSync(file, 'utf8')) as Omit<Workflow, 'file'> & { on: unknown };
  const on =
    typeof doc.on === 'string'
      ? { [doc.on]: {} }
      : Array.isArray(doc.on)
        ? Object.fromEntries((doc.on as string[]).map((e) => [e, {}]))
        : ((doc.on ?? {}) as Record<string, unknown>);
  return { ...doc, on, file };
}

export function workflowCall(w: Workflow): WorkflowCall | undefined {
  if (!('workflow_call' in w.on)) return undefined;
  return (w.on.workflow_call ?? {}) as WorkflowCall;
}

/** `./actions/x` or `<owner>/container-image-actions/actions/x@ref`: the action's name. */
export function ownActionName(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  const m = /^(?:\.\/|[^/]+\/container-image-actions\/)actions\/([a-z0-9-]+)(?:@[^\s]+)?$/.exec(uses);
  return m?.[1];
}

/** `./.github/workflows/x.yml` or `<owner>/container-image-actions/.github/workflows/x.yml@ref`. */
export function ownWorkflowFile(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  const m = /^(?:\.\/|[^/]+\/container-image-actions\/)(\.github\/workflows\/[a-z0-9-]+\.ya?ml)(?:@[^\s]+)?$/.exec(
    uses,
  );
  return m ? join(repoRoot, m[1] as string) : undefined;
}

export function readActionMeta(name: string): ActionMeta | undefined {
  const file = join(repoRoot, 'actions', name, 'action.yml');
  if (!existsSync(file)) return undefined;
  const doc = parseYaml(readFileSync(file, 'utf8')) as Partial<ActionMeta>;
  return { inputs: doc.inputs ?? {}, outputs: doc.outputs ?? {} };
}

export function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** Job ids so that every job comes after the jobs it needs; a cycle or an unknown need throws. */
export function jobOrder(jobs: Record<string, Job>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, from?: string) => {
    if (!(id in jobs)) throw new Error(`job ${from} needs ${id}, which does not exist`);
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new Error(`jobs need each other in a cycle through ${id}`);
    state.set(id, 'visiting');
    for (const n of needsOf(jobs[id] as Job)) visit(n, id);
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id);
  return order;
}

const CONTEXTS = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
];
const STATUS_FUNCTIONS = ['success', 'always', 'failure', 'cancelled'].map((name) => ({
  name,
  minArgs: 0,
  maxArgs: 0,
}));
const HASH_FILES = { name: 'hashFiles', minArgs: 1, maxArgs: 255 };

export function parseExpression(source: string): Expr {
  const lexed = new Lexer(source).lex();
  return new Parser(lexed.tokens, CONTEXTS, [...STATUS_FUNCTIONS, HASH_FILES]).parse();
}

/** The `${{ }}` bodies in a value; an `if:` without them is one expression as a whole. */
export function expressionsIn(value: unknown, isCondition = false): string[] {
  if (typeof value !== 'string') return [];
  const found = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => (m[1] as string).trim());
  if (found.length === 0 && isCondition && value.trim() !== '') return [value.trim()];
  return found;
}

/** Every context path an expression reads, as far as its indexes are literal (`*` beyond). */
export function contextPaths(expr: Expr): string[][] {
  const paths: string[][] = [];
  const pathOf = (e: Expr): string[] | undefined => {
    const node = e as unknown as {
      name?: { lexeme: string };
      expr?: Expr;
      index?: Expr & { literal?: data.ExpressionData };
    };
    if (node.name && !node.expr && !('args' in node)) return [node.name.lexeme];
    if (node.expr && node.index) {
      const base = pathOf(node.expr);
      if (!base) return undefined;
      const lit = node.index.literal;
      return [...base, lit && lit.kind === data.Kind.String ? (lit as data.StringData).value : '*'];
    }
    return undefined;
  };
  const walk = (e: unknown, inPath: boolean) => {
    if (!e || typeof e !== 'object') return;
    const node = e as {
      expr?: Expr;
      index?: Expr;
      args?: Expr[];
      left?: Expr;
      right?: Expr;
      group?: Expr;
      name?: unknown;
    };
    const p = pathOf(e as Expr);
    if (p && !inPath) paths.push(p);
    if (node.expr) walk(node.expr, p !== undefined);
    if (node.index) walk(node.index, false);
    for (const a of node.args ?? []) walk(a, false);
    if (node.left) walk(node.left, false);
    if (node.right) walk(node.right, false);
    if (node.group) walk(node.group, false);
  };
  walk(expr, false);
  // a deeper path read through an IndexAccess chain is reported once, at its full length
  return paths.filter((p) => p.length > 0);
}

/** Plain JSON-like values as expression data. */
export function toData(value: unknown): data.ExpressionData {
  return JSON.parse(JSON.stringify(value ?? null), data.reviver) as data.ExpressionData;
}

/**
 * Dictionaries made with `strict` record a miss when an expression reads a key they lack;
 * other data (github, env, fromJSON results) behaves as on the runner.
 */
export class Contexts {
  private readonly strictSet = new WeakSet<object>();
  private readonly missSet = new Set<string>();
  readonly root = new data.Dictionary();

  strict(entries: Record<string, data.ExpressionData>): data.Dictionary {
    const d = new data.Dictionary();
    for (const [k, v] of Object.entries(entries)) d.add(k, v);
    this.strictSet.add(d);
    return d;
  }

  /** A strict dictionary of strings (outputs, inputs). */
  strictStrings(entries: Record<string, string | boolean | number>): data.Dictionary {
    return this.strict(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, toData(v)])));
  }

  /** Reads of names that were not there, each once. */
  get misses(): string[] {
    return [...this.missSet];
  }

  set(name: string, value: data.ExpressionData): void {
    this.root.add(name, value);
  }

  isStrict(d: object): boolean {
    return this.strictSet.has(d);
  }

  evaluate(source: string, status: { success: boolean } = { success: true }): data.ExpressionData {
    const contexts = this;
    const functions = new Map(
      Object.entries({
        success: () => new data.BooleanData(status.success),
        always: () => new data.BooleanData(true),
        failure: () => new data.BooleanData(!status.success),
        cancelled: () => new data.BooleanData(false),
      }).map(([name, call]) => [name, { name, minArgs: 0, maxArgs: 0, call }]),
    );
    class StrictEvaluator extends Evaluator {
      override visitIndexAccess(ia: IndexAccess): data.ExpressionData {
        const result = super.visitIndexAccess(ia);
        const paths = contextPaths(ia as unknown as Expr);
        if (result.kind === data.Kind.Null) {
          const owner = this.eval(ia.expr);
          const key = this.eval(ia.index);
          if (owner.kind === data.Kind.Dictionary && contexts.isStrict(owner)) {
            const known = (owner as data.Dictionary).pairs().map((p) => p.key);
            const keyText = key.coerceString();
            if (!known.some((k) => k.toLowerCase() === keyText.toLowerCase())) {
              contexts.missSet.add(`${(paths[0] ?? ['?']).join('.')} (known: ${known.join(', ') || 'none'})`);
            }
          }
        }
        return result;
      }
    }
    return new StrictEvaluator(parseExpression(source), this.root, functions).evaluate();
  }

  /** A value with `${{ }}` parts, as the runner renders it into an input (a string). */
  render(value: unknown): string {
    if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
    return value.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, body: string) => this.evaluate(body.trim()).coerceString());
  }

  /** An `if:` condition; no `if` is `success()`. */
  condition(value: unknown, status: { success: boolean } = { success: true }): boolean {
    if (value === undefined) return status.success;
    if (typeof value === 'boolean') return value;
    const exprs = expressionsIn(value, true);
    const source = exprs.length === 1 && /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(String(value)) ? exprs[0] : String(value);
    const r = this.evaluate(source as string, status);
    const mentionsStatus = /\b(success|always|failure|cancelled)\s*\(/i.test(source as string);
    return (mentionsStatus || status.success) && truthy(r);
  }
}

export function truthy(d: data.ExpressionData): boolean {
  switch (d.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return (d as data.BooleanData).value;
    case data.Kind.Number:
      return (d as data.NumberData).value !== 0 && !Number.isNaN((d as data.NumberData).value);
    case data.Kind.String:
      return (d as data.StringData).value !== '';
    default:
      return true;
  }
}
