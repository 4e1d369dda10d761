// The outputs of compute-tags from the kept tags, the floating decisions and the labels: full
// references per image in priority order, tag names, labels, annotations and the JSON document.
import { ConfigurationError } from '#shared/errors.js';
import { type Candidate, globalHelpers, type TagContext, type TagPlan } from './compute.js';
import type { FloatingDecision } from './floating.js';
import type { ImageName } from './images.js';
import { annotationLines, baseLabels, mergeEntries } from './labels.js';
import { render, TemplateError } from './template.js';

export interface ComputeResult {
  version: string;
  tags: string[];
  tagNames: string[];
  /** key=value */
  labels: string[];
  /** level:key=value */
  annotations: string[];
  isRelease: boolean;
  floating: Record<string, string>;
  json: {
    tags: string[];
    tagNames: string[];
    labels: Record<string, string>;
    annotations: string[];
    version: string;
    floating: Record<string, string>;
  };
}

function expandEntries(
  entries: ReadonlyArray<[string, string]>,
  ctx: TagContext,
  input: string,
): Array<[string, string]> {
  const helpers = globalHelpers(ctx);
  return entries.map(([k, v]) => {
    try {
      return [k, render(v, helpers)];
    } catch (err) {
      if (err instanceof TemplateError) throw new ConfigurationError(`'${k}=${v}': ${err.message}`, input);
      throw err;
    }
  });
}

export function buildResult(options: {
  images: readonly ImageName[];
  kept: readonly Candidate[];
  decisions: readonly FloatingDecision[];
  plan: TagPlan;
  ctx: TagContext;
  labels: ReadonlyArray<[string, string]>;
  annotations: ReadonlyArray<[string, string]>;
}): ComputeResult {
  const { images, kept, decisions, plan, ctx } = options;
  const tagNames = kept.map((c) => c.tag);
  const tags = images.flatMap((image) => tagNames.map((t) => `${image.text}:${t}`));
  const version = tagNames[0] ?? '';
  const base = baseLabels(ctx, version, ctx.commitTime);
  const labels = mergeEntries(base, expandEntries(options.labels, ctx, 'labels'));
  const annotations = annotationLines(base, expandEntries(options.annotations, ctx, 'annotations'));
  const floating = Object.fromEntries(decisions.map((d) => [d.tag, d.reason]));
  return {
    version,
    tags,
    tagNames,
    labels: labels.map(([k, v]) => `${k}=${v}`),
    annotations,
    isRelease: plan.release !== undefined && !plan.release.prerelease,
    floating,
    json: { tags, tagNames, labels: Object.fromEntries(labels), annotations, version, floating },
  };
}
