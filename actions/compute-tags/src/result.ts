// The outputs of compute-tags from the kept tags, the floating decisions and the labels: full
// references per image in priority order, tag names, labels, annotations at their levels and the
// JSON document (docker/metadata-action's keys first, ours beside them).
import { ConfigurationError } from '#shared/errors.js';
import type { BakeSource } from './bake.js';
import { type Candidate, globalHelpers, revisionSha, type TagContext, type TagPlan } from './compute.js';
import type { FloatingDecision } from './floating.js';
import type { ImageName } from './images.js';
import { annotationLines, baseLabels, mergeEntries } from './labels.js';
import { render, TemplateError } from './template.js';

export interface ResultJson {
  // docker/metadata-action's keys
  tags: string[];
  'tag-names': string[];
  labels: Record<string, string>;
  annotations: string[];
  // ours
  version: string;
  /** the same as tag-names (kept for workflows written against earlier versions) */
  tagNames: string[];
  /** floating tag -> why it moved or not */
  floating: Record<string, string>;
  isRelease: boolean;
}

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
  json: ResultJson;
  /** what the bake files are written from */
  bake: BakeSource;
}

function expandEntries(
  entries: ReadonlyArray<[string, string]>,
  ctx: TagContext,
  input: string,
): Array<[string, string]> {
  const helpers = globalHelpers(ctx);
  return entries.map(([k, v]) => {
    try {
      // the key too: metadata-action renders the whole line
      return [render(k, helpers), render(v, helpers)];
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
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS (default manifest) */
  annotationLevels?: readonly string[];
}): ComputeResult {
  const { images, kept, decisions, plan, ctx } = options;
  const tagNames = kept.map((c) => c.tag);
  const tags = images.flatMap((image) => tagNames.map((t) => `${image.text}:${t}`));
  const version = tagNames[0] ?? '';
  const base = baseLabels(ctx, version, ctx.commitTime, revisionSha(ctx));
  const labels = mergeEntries(base, expandEntries(options.labels, ctx, 'labels'));
  const annotations = annotationLines(
    base,
    expandEntries(options.annotations, ctx, 'annotations'),
    options.annotationLevels ?? ['manifest'],
  );
  const floating = Object.fromEntries(decisions.map((d) => [d.tag, d.reason]));
  const labelMap = Object.fromEntries(labels);
  const isRelease = plan.release !== undefined && !plan.release.prerelease && !plan.release.markedPrerelease;
  return {
    version,
    tags,
    tagNames,
    labels: labels.map(([k, v]) => `${k}=${v}`),
    annotations,
    isRelease,
    floating,
    json: {
      tags,
      'tag-names': tagNames,
      labels: labelMap,
      annotations,
      version,
      tagNames,
      floating,
      isRelease,
    },
    bake: { tags, version, images: images.map((i) => i.text), labels: labelMap, annotations },
  };
}
