// What a sync-mode run did: the outputs, the job summary and the final verdict (which tags
// failed and why) all come from the one SyncReport.
import { addHeading, addTable, addText, cell } from '#shared/action/summary.js';
import { formatSize } from '#shared/parse.js';
import type { SyncInputs } from './inputs.js';
import { type BlobCounts, sumBlobs } from './report.js';
import { type SyncReport, type SyncTagAction, tagCounts } from './sync.js';

export interface MirroredEntry {
  target: string;
  digest: string | null;
  previous: string | null;
  action: SyncTagAction;
}

export function mirroredOutput(report: SyncReport): MirroredEntry[] {
  return report.pairs.flatMap((p) =>
    p.tags.map((t) => ({ target: `${p.target}:${t.tag}`, digest: t.digest, previous: t.previous, action: t.action })),
  );
}

export interface SyncCounts {
  'up-to-date': number;
  copied: number;
  moved: number;
  conflicts: number;
  failed: number;
  deleted: number;
}

export function syncCounts(report: SyncReport): SyncCounts {
  const c: SyncCounts = { 'up-to-date': 0, copied: 0, moved: 0, conflicts: 0, failed: 0, deleted: 0 };
  for (const p of report.pairs) {
    const t = tagCounts(p);
    c['up-to-date'] += t.unchanged;
    c.copied += t.created;
    c.moved += t.moved;
    c.conflicts += t.conflict;
    c.failed += t.failed;
    c.deleted += p.deletions?.deleted.length ?? 0;
  }
  return c;
}

export function syncBlobs(report: SyncReport): BlobCounts {
  return sumBlobs(report.pairs);
}

export function syncBytes(report: SyncReport): number {
  return report.pairs.reduce((n, p) => n + p.bytes, 0);
}

/** One line per problem that fails the step: failed tags, pairs not mirrored, deletions refused or broken, and conflicts when asked. */
export function syncProblems(report: SyncReport, inputs: Pick<SyncInputs, 'conflictPolicy'>): string[] {
  const out: string[] = [];
  for (const p of report.pairs) {
    if (p.error) out.push(`${p.source} => ${p.target}: ${p.error}`);
    for (const t of p.tags) {
      if (t.action === 'failed') out.push(`${p.target}:${t.tag}: ${t.detail}`);
      if (t.action === 'conflict' && inputs.conflictPolicy === 'fail') out.push(`${p.target}:${t.tag}: ${t.detail}`);
    }
    if (p.deletions?.refused) out.push(`${p.target}: ${p.deletions.refused}`);
    if (p.deletions?.error) out.push(`${p.target}: deleting: ${p.deletions.error}`);
  }
  return out;
}

const ACTION_TEXT: Record<SyncTagAction, string> = {
  created: 'copied',
  moved: 'moved',
  unchanged: 'up to date',
  conflict: 'CONFLICT (immutable, not moved)',
  failed: 'FAILED',
};

export function writeSyncSummary(report: SyncReport, inputs: SyncInputs): void {
  addHeading(report.dryRun ? 'Mirror plan (dry run, nothing written)' : 'Mirror', 2);
  const c = syncCounts(report);
  const blobs = syncBlobs(report);
  addText(
    `${c['up-to-date']} tag(s) up to date, ${c.copied} copied, ${c.moved} moved, ${c.conflicts} conflict(s), ${c.failed} failed, ${c.deleted} deleted. ` +
      `Blobs: ${blobs.uploaded} uploaded (${formatSize(syncBytes(report))}), ${blobs.mounted} mounted, ${blobs.existed} already present. ` +
      `Tags: ${inputs.syncTagPatterns.map((p) => `\`${p}\``).join(', ')}` +
      (inputs.immutableTags.patterns.length
        ? `; immutable: ${inputs.immutableTags.patterns.map((p) => `\`${p}\``).join(', ')}`
        : '') +
      '.',
  );
  for (const p of report.pairs) {
    addHeading(`${p.source} → ${p.target}`, 3);
    if (p.error) addText(`Not mirrored: ${cell(p.error)}`);
    // Up-to-date tags are counted, not listed: a mirror of hundreds of tags stays readable.
    const rows = p.tags
      .filter((t) => t.action !== 'unchanged')
      .map((t) => [
        t.tag,
        `${ACTION_TEXT[t.action]}${t.forced ? ' (immutable tag, forced)' : ''}`,
        t.digest ?? '—',
        t.previous ?? 'none',
        t.detail ?? '',
      ]);
    const t = tagCounts(p);
    addText(
      `${t.unchanged} up to date` +
        (p.attachmentsUpdated ? ` (${p.attachmentsUpdated} image(s) had new signatures or attachments copied)` : '') +
        `; blobs ${p.blobs.uploaded} uploaded (${formatSize(p.bytes)}), ${p.blobs.mounted} mounted, ${p.blobs.existed} present.`,
    );
    if (rows.length) addTable(['tag', 'result', 'digest', 'previous', 'detail'], rows);
    const d = p.deletions;
    if (d) {
      const lines: string[] = [];
      if (d.refused) lines.push(`Deletion refused: ${cell(d.refused)}`);
      if (d.error) lines.push(`Deletion stopped: ${cell(d.error)}`);
      if (d.deleted.length) {
        lines.push(
          `${report.dryRun ? 'Would delete' : 'Deleted'} (gone from the source): ${d.deleted.map((x) => `\`${x}\``).join(', ')} (${d.manifests.length} manifest(s) with attachments and children)`,
        );
      }
      for (const k of d.kept) lines.push(`Kept \`${k.tag}\`: ${cell(k.reason)}`);
      if (lines.length) addText(lines.join('  \n'));
    }
    for (const note of p.notes) addText(`> ${cell(note)}`);
  }
}
