// Loads the recorded event payloads (test/fixtures/events) and runs the compute-tags pipeline
// on them with given rules and known releases, without I/O.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planTags, type TagContext } from '../../../actions/compute-tags/src/compute.js';
import { runContext } from '../../../actions/compute-tags/src/context.js';
import { decideFloating, type FloatingMode, type ReleaseSource } from '../../../actions/compute-tags/src/floating.js';
import { parseImages } from '../../../actions/compute-tags/src/images.js';
import { buildResult, type ComputeResult } from '../../../actions/compute-tags/src/result.js';
import { parseFlavor, parseRules } from '../../../actions/compute-tags/src/rules.js';

export const EVENTS_DIR = join(import.meta.dirname, '../../fixtures/events');

export type EventName =
  | 'push-tag-v1.2.3'
  | 'push-tag-api-v1.2.3'
  | 'push-main'
  | 'push-feature'
  | 'pull-request-123'
  | 'schedule'
  | 'workflow-dispatch'
  | 'release-published';

export function loadEvent(name: EventName): {
  payload: Record<string, unknown>;
  env: Record<string, string>;
  path: string;
} {
  const path = join(EVENTS_DIR, `${name}.json`);
  const payload = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(EVENTS_DIR, `${name}.env`), 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return { payload, env, path };
}

/** A tag push of another version: the tag fixture with its ref replaced. */
export function tagEvent(tag: string): { payload: Record<string, unknown>; env: Record<string, string> } {
  const { payload, env } = loadEvent('push-tag-v1.2.3');
  return {
    payload: { ...payload, ref: `refs/tags/${tag}` },
    env: { ...env, GITHUB_REF: `refs/tags/${tag}`, GITHUB_REF_NAME: tag },
  };
}

export interface ComputeOptions {
  images?: string[];
  tags?: string[];
  flavor?: string[];
  floating?: FloatingMode;
  tagPrefix?: string;
  shaLength?: number;
  /** existing releases; undefined = no source could be read */
  sources?: ReleaseSource[];
  labels?: Array<[string, string]>;
  annotations?: Array<[string, string]>;
  env?: Record<string, string>;
  now?: Date;
  /** false: DOCKER_METADATA_PR_HEAD_SHA=false */
  headSha?: boolean;
  annotationLevels?: string[];
}

export const NOW = new Date('2026-11-20T23:30:00Z');

export function compute(
  event: EventName | { payload: Record<string, unknown>; env: Record<string, string> },
  options: ComputeOptions = {},
): ComputeResult & { warnings: string[] } {
  const { payload, env } = typeof event === 'string' ? loadEvent(event) : event;
  const run = runContext({ ...env, ...options.env }, payload);
  const ctx: TagContext = {
    ...run,
    tagPrefix: options.tagPrefix ?? '',
    shaLength: options.shaLength ?? 7,
    now: options.now ?? NOW,
    commitTime: run.commitTimestamp ?? new Date('2026-11-19T09:27:24Z'),
    headSha: options.headSha ?? true,
  };
  const warnings: string[] = [];
  const images = parseImages(options.images ?? ['name/app'], (m) => warnings.push(m));
  const plan = planTags(parseRules(options.tags ?? []), parseFlavor(options.flavor ?? []), ctx);
  warnings.push(...plan.warnings);
  const { kept, decisions } = decideFloating(
    plan,
    options.floating ?? 'highest',
    'sources' in options ? options.sources : [],
  );
  const result = buildResult({
    images,
    kept,
    decisions,
    plan,
    ctx,
    labels: options.labels ?? [],
    annotations: options.annotations ?? [],
    annotationLevels: options.annotationLevels,
  });
  return { ...result, warnings };
}
