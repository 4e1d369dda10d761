// compute-tags: event payload + rules -> tags, labels, annotations, JSON and bake files. Reads
// existing releases only when a floating tag needs judging, and loads the registry client only then.
import { tmpdir } from 'node:os';
import { actionLogger, debug, fmt, group, info, maskSecret, warning } from '#shared/action/log.js';
import { exportVariable, setOutput } from '#shared/action/outputs.js';
import { addHeading, addParagraph, addTable, codes, writeSummary } from '#shared/action/summary.js';
import { GitRepo } from '#shared/git/git-repo.js';
import { formatReference } from '#shared/oci/reference.js';
import { writeBakeFiles } from './bake.js';
import { planTags, revisionSha, type TagContext } from './compute.js';
import { readPayload, resolveCommitTime, runContext } from './context.js';
import { decideFloating, type FloatingDecision, needsJudgement } from './floating.js';
import type { ImageName } from './images.js';
import { type ComputeTagsInputs, getInputs } from './inputs.js';
import { listRegistryTags, readReleases } from './releases.js';
import { buildResult } from './result.js';
import { hasExpression } from './template.js';

const REGISTRY_TIMEOUT_MS = 10_000;

function summaryRows(
  kept: ReadonlyArray<{ tag: string; rule: string }>,
  decisions: readonly FloatingDecision[],
): string[][] {
  const why = new Map(decisions.map((d) => [d.tag, d]));
  const rows = kept.map((c) => [c.tag, c.rule, why.get(c.tag)?.reason ?? '']);
  for (const d of decisions) if (!d.moved) rows.push([`${d.tag} (not emitted)`, d.rule, d.reason]);
  return rows;
}

/** metadata-action's output setter: with DOCKER_METADATA_SET_OUTPUT_ENV (default true) each output is also a variable. */
function outputWriter(toEnv: boolean): (name: string, value: string) => void {
  return (name, value) => {
    setOutput(name, value);
    if (toEnv) exportVariable(`DOCKER_METADATA_OUTPUT_${name.replace(/\W/g, '_').toUpperCase()}`, value);
  };
}

export async function main(): Promise<void> {
  const env = process.env;
  const inputs: ComputeTagsInputs = getInputs(env);
  const run = runContext(env, readPayload(env.GITHUB_EVENT_PATH));
  const git = new GitRepo({ cwd: env.GITHUB_WORKSPACE || process.cwd() });
  const now = new Date();
  debug(`DOCKER_METADATA_* variables as read: ${JSON.stringify(inputs.knobs)}`);
  const headSha = inputs.knobs.prHeadSha ?? true;
  const revision = revisionSha({ ...run, headSha });
  // the revision's own time; the checked-out commit's when git lacks the revision (a shallow
  // pull request checkout holds the merge commit only)
  const own = revision === run.sha ? run.commitTimestamp : undefined;
  let commit = await resolveCommitTime({ sha: revision, commitTimestamp: own }, git, now);
  if (commit.source === 'clock' && revision !== run.sha) commit = await resolveCommitTime(run, git, now);
  if (commit.source === 'clock') {
    info(`The commit time is unknown (${commit.problem}); the current time is used for the created label`);
  }
  debug(
    `event ${run.eventName}, ref ${run.ref}, sha ${run.sha}, revision ${revision}, commit time ${commit.time.toISOString()} (${commit.source})`,
  );
  const ctx: TagContext = {
    ...run,
    tagPrefix: inputs.tagPrefix,
    shaLength: inputs.shaLength,
    now,
    commitTime: commit.time,
    headSha,
  };

  await group('Rules', async () => {
    for (const rule of inputs.rules) info(fmt`${rule.line} (priority ${rule.priority})`);
  });
  const plan = planTags(inputs.rules, inputs.flavor, ctx);
  for (const message of plan.warnings) warning(message);

  let sources: Parameters<typeof decideFloating>[2];
  if (needsJudgement(plan, inputs.floatingTags)) {
    const first = inputs.images[0] as ImageName;
    const registryName = `registry ${formatReference(first.ref)}`;
    const read = await group('Existing releases', async () => {
      const result = await readReleases(
        {
          gitTags: () => git.listTags(),
          registryTags: (signal) => listRegistryTags(first.ref, { logger: actionLogger, maskSecret, signal }),
          isShallow: () => git.isShallow(),
        },
        {
          tagPrefix: inputs.tagPrefix,
          imagePrefix: hasExpression(inputs.flavor.prefix) ? '' : inputs.flavor.prefix,
          imageSuffix: hasExpression(inputs.flavor.suffix) ? '' : inputs.flavor.suffix,
          registryName,
          registryTimeoutMs: REGISTRY_TIMEOUT_MS,
        },
      );
      for (const note of result.notes) info(note);
      return result;
    });
    sources = read.sources;
    const used = read.sources?.map((s) => s.name).join(' and ');
    for (const problem of read.problems) {
      warning(
        used
          ? `${problem}; floating tags are judged from ${used} only`
          : `${problem}; floating tags move as with floating-tags: always`,
      );
    }
  }
  const { kept, decisions } = decideFloating(plan, inputs.floatingTags, sources);
  for (const d of decisions) info(`${d.tag}: ${d.reason}`);

  const result = buildResult({
    images: inputs.images,
    kept,
    decisions,
    plan,
    ctx,
    labels: inputs.labels,
    annotations: inputs.annotations,
    annotationLevels: inputs.knobs.annotationLevels,
  });
  if (result.tags.length === 0) warning(`No tag applies to this ${run.eventName || 'event'} (ref '${run.ref}')`);
  await group('Tags', async () => {
    for (const tag of result.tags) info(tag);
  });
  const bake = writeBakeFiles(env.RUNNER_TEMP || tmpdir(), result.bake, inputs.bakeTarget);
  debug(`bake files: ${Object.values(bake).join(', ')}`);

  const output = outputWriter(inputs.knobs.setOutputEnv);
  output('version', result.version);
  output('tags', result.tags.join(inputs.sepTags));
  output('tag-names', result.tagNames.join(inputs.sepTags));
  output('labels', result.labels.join(inputs.sepLabels));
  output('annotations', result.annotations.join(inputs.sepAnnotations));
  output('json', JSON.stringify(result.json));
  output('bake-file-tags', bake.tags);
  output('bake-file-labels', bake.labels);
  output('bake-file-annotations', bake.annotations);
  output('bake-file', bake['tags-labels']);
  output('is-release', String(result.isRelease));

  addHeading('Image tags');
  addTable(['Tag', 'Rule', 'Floating'], summaryRows(kept, decisions));
  addParagraph('Images: ', codes(inputs.images.map((i) => i.text)), ' · version ', { code: result.version });
  await writeSummary();
}
