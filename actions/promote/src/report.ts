// What a promotion did (or, in a dry run, would do): the action's outputs and its job summary
// are both derived from this one record.
import { addHeading, addParagraph, addQuote, addTable, codes, type Inline } from '#shared/action/summary.js';
import { formatSize } from '#shared/parse.js';
import type { TargetDecision } from './decide.js';
import type { GateResult } from './gates.js';
import { formatTarget, type Route } from './targets.js';

export interface BlobCounts {
  mounted: number;
  existed: number;
  uploaded: number;
}

export interface TargetReport extends TargetDecision {
  route: Route;
  /** manifests written (or that would be written) to the target repository */
  manifests: number;
  /** referrer artifacts (signatures, attestations, SBOMs) copied along */
  referrers: number;
  blobs: BlobCounts;
  bytes: number;
}

export interface PlatformChange {
  sourceIndex: string;
  kept: string[];
  dropped: string[];
}

export interface PromotionReport {
  /** the source as given */
  source: string;
  sourceDigest: string;
  /** the promoted digest (differs from sourceDigest only for a platform subset) */
  digest: string;
  platformChange: PlatformChange | undefined;
  gates: GateResult[];
  targets: TargetReport[];
  dryRun: boolean;
  immutablePatterns: string[];
  /** things the user should know that did not stop the promotion */
  notes: string[];
}

export interface PromotedEntry {
  target: string;
  digest: string;
  previous: string | null;
  action: TargetDecision['action'];
}

export function promotedOutput(report: PromotionReport): PromotedEntry[] {
  return report.targets.map((t) => ({
    target: formatTarget(t.target),
    digest: report.digest,
    previous: t.previous,
    action: t.action,
  }));
}

/** Blob counts added up over targets (a promotion) or repository pairs (a sync). */
export function sumBlobs(items: ReadonlyArray<{ blobs: BlobCounts }>): BlobCounts {
  const total: BlobCounts = { mounted: 0, existed: 0, uploaded: 0 };
  for (const { blobs } of items) {
    total.mounted += blobs.mounted;
    total.existed += blobs.existed;
    total.uploaded += blobs.uploaded;
  }
  return total;
}

export function totalBlobs(report: PromotionReport): BlobCounts {
  return sumBlobs(report.targets);
}

export function totalBytes(report: PromotionReport): number {
  return report.targets.reduce((sum, t) => sum + t.bytes, 0);
}

const ROUTE_TEXT: Record<Route, string> = {
  'same-repository': 'same repository: tag only',
  'same-registry': 'same registry: blobs mounted',
  'cross-registry': 'other registry: blobs streamed',
};

/** The rows of the targets table, also used by tests. */
export function targetRows(report: PromotionReport): string[][] {
  return report.targets.map((t) => [
    formatTarget(t.target),
    t.previous ?? 'none',
    t.action === 'unchanged'
      ? 'unchanged (already on this digest)'
      : `${report.dryRun ? 'would be ' : ''}${t.action}${t.forced ? ' (immutable tag, forced)' : ''}`,
    ROUTE_TEXT[t.route],
    t.action === 'unchanged'
      ? '—'
      : `${t.manifests} manifests, ${t.referrers} referrers; blobs ${t.blobs.mounted} mounted, ${t.blobs.existed} present, ${t.blobs.uploaded} uploaded (${formatSize(t.bytes)})`,
  ]);
}

export function writeGatesSummary(source: string, gates: readonly GateResult[]): void {
  addHeading('Promotion refused by gates (nothing written)', 2);
  addParagraph([{ strong: 'Source:' }, ' ', { code: source }]);
  addTable(
    ['gate', 'result', 'found'],
    gates.map((g) => [g.gate, g.passed ? 'passed' : 'FAILED', g.detail]),
  );
}

export function writeReportSummary(report: PromotionReport): void {
  addHeading(report.dryRun ? 'Promotion plan (dry run, nothing written)' : 'Promotion', 2);
  const lines: Inline[] = [
    [{ strong: 'Source:' }, ' ', { code: report.source }],
    [{ strong: 'Source digest:' }, ' ', { code: report.sourceDigest }],
  ];
  if (report.platformChange) {
    const c = report.platformChange;
    lines.push([
      { strong: 'Promoted digest:' },
      ' ',
      { code: report.digest },
      ' — changed: ',
      { code: 'platforms' },
      ` selected ${c.kept.join(', ')} of the source index` +
        (c.dropped.length ? ` (left out: ${c.dropped.join(', ')})` : '') +
        ', so a new index was written; signatures made on the source index do not cover it.',
    ]);
  } else {
    lines.push([{ strong: 'Promoted digest:' }, ' ', { code: report.digest }, ' (unchanged, byte for byte)']);
  }
  addParagraph(...lines);

  if (report.gates.length) {
    addHeading('Gates', 3);
    addTable(
      ['gate', 'result', 'found'],
      report.gates.map((g) => [g.gate, g.passed ? 'passed' : 'FAILED', g.detail]),
    );
  }

  addHeading('Targets', 3);
  addTable(['target', 'previous digest', 'result', 'route', 'copied'], targetRows(report));
  const blobs = totalBlobs(report);
  addParagraph([
    `${report.dryRun ? 'Would copy' : 'Copied'}: ${formatSize(totalBytes(report))} uploaded; blobs ${blobs.mounted} mounted, ${blobs.existed} already present, ${blobs.uploaded} uploaded.`,
    report.immutablePatterns.length ? [' Immutable tags: ', codes(report.immutablePatterns), '.'] : '',
  ]);
  for (const note of report.notes) addQuote(note);
}
