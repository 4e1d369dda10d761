// Plans the edit of every selected file before any is written (a file that is not YAML stops the
// run with nothing changed), renders the diffs, and explains a run where nothing matched.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '#shared/errors.js';
import {
  type FoundReference,
  type ImageChange,
  type ImageUpdate,
  ManifestParseError,
  planImageEdit,
} from '#shared/manifests/image-edits.js';
import { expandFileGlobs } from '#shared/manifests/image-references.js';
import type { GitopsInputs } from './inputs.js';

export interface FilePlan {
  file: string;
  before: string;
  after: string;
  changes: ImageChange[];
  references: FoundReference[];
  skipped: FoundReference[];
}

export function imageUpdate(inputs: GitopsInputs): ImageUpdate {
  const u: ImageUpdate = { image: inputs.image };
  if (inputs.newImage) u.newImage = inputs.newImage;
  if (inputs.tag) u.tag = inputs.tag;
  if (inputs.digest) u.digest = inputs.digest;
  if (inputs.helmKeys.length > 0) u.helmKeys = inputs.helmKeys;
  if (inputs.fluxPolicy) u.fluxPolicy = inputs.fluxPolicy;
  if (inputs.kustomizeAdd) u.kustomizeAdd = true;
  return u;
}

/** The files the globs select under `root`; none is a configuration error. */
export async function selectFiles(
  root: string,
  files: readonly string[],
  exclude: readonly string[],
): Promise<string[]> {
  const found = await expandFileGlobs([...files, ...exclude.map((e) => `!${e.replace(/^!/, '')}`)], root, 'files');
  if (found.length === 0) {
    throw new ConfigurationError(
      `matched no files under ${root} (globs are relative to the repository root, such as deploy/**/*.yaml${exclude.length > 0 ? '; exclude removed some' : ''})`,
      'files',
    );
  }
  return found;
}

/** Plans every file; throws before anything is written when one cannot be read as YAML. */
export async function planFiles(root: string, files: readonly string[], update: ImageUpdate): Promise<FilePlan[]> {
  const plans: FilePlan[] = [];
  for (const file of files) {
    const bytes = await readFile(join(root, file));
    if (bytes.includes(0)) throw new ConfigurationError(`'${file}' is not a text file (it holds NUL bytes)`, 'files');
    const before = bytes.toString('utf8');
    if (Buffer.from(before, 'utf8').compare(bytes) !== 0)
      throw new ConfigurationError(`'${file}' is not UTF-8 text`, 'files');
    try {
      const plan = planImageEdit(before, update);
      plans.push({
        file,
        before,
        after: plan.content,
        changes: plan.changes,
        references: plan.references,
        skipped: plan.skipped,
      });
    } catch (err) {
      if (err instanceof ManifestParseError) throw new ConfigurationError(`'${file}' ${err.message}`, 'files');
      throw err;
    }
  }
  return plans;
}

export async function writePlans(root: string, plans: readonly FilePlan[]): Promise<void> {
  for (const p of plans) if (p.after !== p.before) await writeFile(join(root, p.file), p.after);
}

/** A unified diff of one planned file (edits never add or remove lines, so hunks pair lines). */
export function renderDiff(plan: FilePlan, context = 2): string {
  const a = plan.before.split('\n');
  const b = plan.after.split('\n');
  const changed: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed.push(i);
  if (changed.length === 0) return '';
  const strip = (l: string) => l.replace(/\r$/, '');
  const out = [`--- a/${plan.file}`, `+++ b/${plan.file}`];
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] as number;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] as number) - last <= 2 * context + 1)
      last = changed[++k] as number;
    k++;
    const from = Math.max(0, first - context);
    const to = Math.min(a.length - 1, last + context);
    const len = to - from + 1;
    out.push(`@@ -${from + 1},${len} +${from + 1},${len} @@`);
    for (let i = from; i <= to; i++) {
      if (a[i] === b[i]) out.push(` ${strip(a[i] as string)}`);
      else out.push(`-${strip(a[i] as string)}`, `+${strip(b[i] as string)}`);
    }
  }
  return out.join('\n');
}

/** Why nothing was updated: each file's references and the reason each was left. */
export function explainNoMatch(plans: readonly FilePlan[], image: string): string {
  const lines = [`No reference to ${image} was updated in ${plans.length} file(s):`];
  // files with references first: they answer the question; a long tail of empty files does not
  const ordered = [...plans].sort((a, b) => Number(b.references.length > 0) - Number(a.references.length > 0));
  for (const p of ordered.slice(0, 30)) {
    if (p.references.length === 0) {
      lines.push(`  ${p.file}: no image references found`);
      continue;
    }
    lines.push(`  ${p.file}:`);
    for (const r of p.references.slice(0, 20))
      lines.push(`    line ${r.line} (${r.format}) ${r.text}${r.why ? `: ${r.why}` : ': already up to date'}`);
    if (p.references.length > 20) lines.push(`    ... and ${p.references.length - 20} more`);
  }
  if (ordered.length > 30) lines.push(`  ... and ${ordered.length - 30} more file(s)`);
  return lines.join('\n');
}

export interface TemplateValues {
  image: string;
  tag: string;
  digest: string;
  'short-digest': string;
  files: string;
}

/** Replaces `{image}`, `{tag}`, `{digest}`, `{short-digest}`, `{files}`; other braces stay. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{(image|tag|digest|short-digest|files)\}/g, (_, k: keyof TemplateValues) => values[k]);
}

export function templateValues(inputs: GitopsInputs, files: readonly string[]): TemplateValues {
  const digest = inputs.digest ?? '';
  return {
    image: inputs.newImage ?? inputs.imageText,
    tag: inputs.tag ?? '',
    digest,
    'short-digest': digest ? digest.slice('sha256:'.length, 'sha256:'.length + 12) : '',
    files: files.join(', '),
  };
}

/** `app 1.4.0 (abc123def456)`-style version text for default messages. */
export function versionText(values: TemplateValues): string {
  if (values.tag && values['short-digest']) return `${values.tag} (${values['short-digest']})`;
  return values.tag || values['short-digest'];
}

export function defaultCommitMessage(values: TemplateValues, plans: readonly FilePlan[]): string {
  const lines = [`Update ${values.image} to ${versionText(values)}`, ''];
  for (const p of plans) for (const c of p.changes) lines.push(`${p.file}:${c.line}: ${c.old} -> ${c.new}`);
  return lines.join('\n');
}

const md = (text: string) => text.replace(/[\\`*_{}[\]<>|#]/g, (c) => `\\${c}`);

/** The default pull request body: a table of each change, file:line, old -> new. */
export function defaultPrBody(values: TemplateValues, plans: readonly FilePlan[]): string {
  const rows = plans.flatMap((p) =>
    p.changes.map(
      (c) => `| ${md(p.file)}:${c.line} | \`${c.old.replace(/`/g, "'")}\` | \`${c.new.replace(/`/g, "'")}\` |`,
    ),
  );
  return [
    `Updates ${md(values.image)} to ${md(versionText(values))}.`,
    '',
    '| file:line | old | new |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
