import { describe, expect, it } from 'vitest';
import {
  type PromotionReport,
  promotedOutput,
  targetRows,
  totalBlobs,
  totalBytes,
} from '../../../actions/promote/src/report.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D0 = `sha256:${'0'.repeat(64)}`;
const target = (repository: string, tag: string) => ({ registry: 'r:5000', repository, tag });

const report: PromotionReport = {
  source: 'r:5000/app:rc',
  sourceDigest: D1,
  digest: D1,
  platformChange: undefined,
  gates: [],
  dryRun: false,
  immutablePatterns: [],
  notes: [],
  targets: [
    {
      target: target('app', 'staging'),
      previous: D0,
      action: 'moved',
      forced: false,
      route: 'same-repository',
      manifests: 1,
      referrers: 0,
      blobs: { mounted: 0, existed: 0, uploaded: 0 },
      bytes: 0,
    },
    {
      target: target('pub/app', '1.0.0'),
      previous: null,
      action: 'created',
      forced: false,
      route: 'cross-registry',
      manifests: 5,
      referrers: 2,
      blobs: { mounted: 0, existed: 1, uploaded: 6 },
      bytes: 2_500_000,
    },
    {
      target: target('app', 'v1.0.0'),
      previous: D1,
      action: 'unchanged',
      forced: false,
      route: 'same-repository',
      manifests: 0,
      referrers: 0,
      blobs: { mounted: 0, existed: 0, uploaded: 0 },
      bytes: 0,
    },
  ],
};

describe('promotion report', () => {
  it('gives one promoted entry per target with the previous digest', () => {
    expect(promotedOutput(report)).toEqual([
      { target: 'r:5000/app:staging', digest: D1, previous: D0, action: 'moved' },
      { target: 'r:5000/pub/app:1.0.0', digest: D1, previous: null, action: 'created' },
      { target: 'r:5000/app:v1.0.0', digest: D1, previous: D1, action: 'unchanged' },
    ]);
  });

  it('totals blobs and bytes over the targets', () => {
    expect(totalBlobs(report)).toEqual({ mounted: 0, existed: 1, uploaded: 6 });
    expect(totalBytes(report)).toBe(2_500_000);
  });

  it('says per target what happened and how', () => {
    expect(targetRows(report)).toEqual([
      [
        'r:5000/app:staging',
        D0,
        'moved',
        'same repository: tag only',
        '1 manifests, 0 referrers; blobs 0 mounted, 0 present, 0 uploaded (0 B)',
      ],
      [
        'r:5000/pub/app:1.0.0',
        'none',
        'created',
        'other registry: blobs streamed',
        '5 manifests, 2 referrers; blobs 0 mounted, 1 present, 6 uploaded (2.5 MB)',
      ],
      ['r:5000/app:v1.0.0', D1, 'unchanged (already on this digest)', 'same repository: tag only', '—'],
    ]);
    expect(targetRows({ ...report, dryRun: true })[1]?.[2]).toBe('would be created');
  });
});
