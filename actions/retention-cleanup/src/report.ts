// The job summary of a cleanup: counts, the decisions with their reasons (collapsed when long),
// bytes reclaimable, and what registries do with the space afterwards.
import { addDetails, addHeading, addList, addParagraph, addTable, table } from '#shared/action/summary.js';
import { formatSize } from '#shared/parse.js';
import type { RepositoryPlan } from './model.js';
import type { SweepResult } from './sweep.js';

export interface ReportOptions {
  dryRun: boolean;
  refused: boolean;
  /** the plan deletes more than maxDeletions (refused, or a dry run that reports it) */
  overLimit?: boolean;
  maxDeletions: number;
  uploadNote: string;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/**
 * The rows of the decisions table: one per root, then one per manifest deleted with it. With the
 * sweep's result, a planned untag says what happened (the registry may refuse to untag); without
 * it (dry run, refused plan) it says what would happen.
 */
export function decisionRows(plan: RepositoryPlan, result?: SweepResult): string[][] {
  const rows: string[][] = [];
  const deleting = new Set(plan.deletions.map((d) => d.digest));
  const untagged = new Set(result?.untagged.map((u) => `${u.digest} ${u.tag}`));
  const refused = new Map(result?.stuck.map((s) => [`${s.digest} ${s.tag}`, s.why]));
  const untagNote = (digest: string, tag: string): string => {
    if (!result) return `tag '${tag}' to be removed`;
    if (untagged.has(`${digest} ${tag}`)) return `tag '${tag}' removed`;
    const why = refused.get(`${digest} ${tag}`);
    return why ? `tag '${tag}' stays: ${why}` : `tag '${tag}' not removed (the sweep stopped before it)`;
  };
  for (const r of plan.roots) {
    const extra = [
      ...r.untag.map((t) => untagNote(r.digest, t)),
      ...r.stuck.map((s) => `tag '${s.tag}' stays: ${s.why}`),
    ];
    rows.push([
      r.tags.join(', ') || '(untagged)',
      short(r.digest),
      r.decision === 'keep' || !deleting.has(r.digest) ? 'keep' : 'delete',
      [r.reason, ...extra].join('; '),
    ]);
  }
  const roots = new Set(plan.roots.map((r) => r.digest));
  for (const d of plan.deletions)
    if (!roots.has(d.digest)) rows.push([d.tags.join(', ') || '(untagged)', short(d.digest), 'delete', d.reason]);
  return rows;
}

export async function writeReport(
  plans: readonly RepositoryPlan[],
  results: readonly SweepResult[],
  o: ReportOptions,
): Promise<void> {
  const verb = o.refused ? 'refused' : o.dryRun ? 'dry run' : 'done';
  addHeading(`Retention cleanup (${verb})`, 2);
  if (o.refused) {
    addParagraph([
      { strong: 'Nothing was deleted:' },
      ` the plan exceeds max-deletions (${o.maxDeletions}). Review it, then raise max-deletions or narrow the policy.`,
    ]);
  } else if (o.dryRun && o.overLimit) {
    addParagraph([
      { strong: `Over max-deletions (${o.maxDeletions}):` },
      ' a run that is not a dry run would refuse this plan and delete nothing. Raise max-deletions or narrow the policy before running it for real.',
    ]);
  }
  addTable(
    ['repository', 'tags', 'manifests', 'kept roots', 'to delete', 'tags to remove', 'reclaimable'],
    plans.map((p) => [
      p.repository,
      String(p.tagCount),
      String(p.manifestCount),
      String(p.roots.filter((r) => r.decision === 'keep').length),
      String(p.deletions.length),
      String(p.untags.length),
      formatSize(p.reclaimableBytes),
    ]),
  );
  for (const [i, plan] of plans.entries()) {
    const rows = decisionRows(plan, results[i]);
    const decisions = table(['tags', 'digest', 'decision', 'reason'], rows);
    if (rows.length > 20) addDetails(`${plan.repository}: ${rows.length} decisions`, decisions);
    else {
      addHeading(plan.repository, 3);
      addTable(['tags', 'digest', 'decision', 'reason'], rows);
    }
    const result = results[i];
    if (result) {
      const gone = result.deleted.filter((d) => d.outcome === 'already-gone').length;
      addParagraph(
        `Deleted ${result.deleted.length - gone} manifest(s)${gone ? ` (${gone} already gone)` : ''}, removed ${result.untagged.length} tag(s).`,
      );
      addList([
        ...result.stuck.map((s) => ['tag ', { code: s.tag }, ` stays on ${short(s.digest)}: ${s.why}`]),
        ...result.skipped.map((s) => `${short(s.digest)} not deleted: ${s.why}`),
      ]);
    }
    addList(plan.notes);
  }
  if (plans.some((p) => p.provider === 'oci')) {
    addParagraph([
      'Generic registries free space only when their garbage collection runs. Run it without ',
      { code: '--delete-untagged' },
      ' (',
      { code: '-m' },
      '): on distribution 2.8 that flag deletes the platform manifests of multi-arch images.',
    ]);
  }
  if (o.uploadNote) addParagraph(o.uploadNote);
}
