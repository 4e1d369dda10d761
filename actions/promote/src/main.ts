// Orchestration of the promote action: inputs -> promotion -> outputs and job summary.
import { actionLogger, debug, group, maskSecret } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { writeSummary } from '#shared/action/summary.js';
import { RegistryClient } from '#shared/oci/client.js';
import { formatReference } from '#shared/oci/reference.js';
import { OperationError } from '#shared/errors.js';
import { getInputs, getSyncInputs, type SyncInputs } from './inputs.js';
import { promote } from './promote.js';
import { GatesRefusedError } from './gates.js';
import {
  type PromotionReport,
  promotedOutput,
  totalBlobs,
  totalBytes,
  writeGatesSummary,
  writeReportSummary,
} from './report.js';
import { sync } from './sync.js';
import { mirroredOutput, syncBlobs, syncBytes, syncCounts, syncProblems, writeSyncSummary } from './sync-report.js';
import { formatTarget } from './targets.js';

export async function main(): Promise<void> {
  const syncInputs = getSyncInputs();
  if (syncInputs) return mainSync(syncInputs);
  const inputs = getInputs();
  debug(
    `inputs: source=${formatReference(inputs.source)} targets=${inputs.targets.map(formatTarget).join(',')} referrers=${inputs.referrers} platforms=${inputs.platforms?.join(',') ?? '(all)'} immutable-tags=${inputs.immutableTags.patterns.join(',') || '(none)'} force=${inputs.force} require-signature=${inputs.requireSignature} require-tags=${inputs.requireTags.join(',')} require-age=${inputs.requireAge ?? ''} dry-run=${inputs.dryRun}`,
  );
  // Credentials come from the docker config registry-login wrote (or ~/.docker/config.json).
  const client = new RegistryClient({ logger: actionLogger, maskSecret, userAgent: 'container-image-actions/promote' });
  let report: PromotionReport;
  try {
    report = await group(inputs.dryRun ? 'Promotion plan (dry run)' : 'Promotion', () =>
      promote(inputs, { client, logger: actionLogger }),
    );
  } catch (err) {
    if (err instanceof GatesRefusedError) {
      writeGatesSummary(formatReference(inputs.source), err.results);
      await writeSummary();
    }
    throw err;
  }
  setOutputs({
    digest: report.digest,
    promoted: promotedOutput(report),
    'bytes-copied': totalBytes(report),
    blobs: totalBlobs(report),
  });
  writeReportSummary(report);
  await writeSummary();
}

/** sync mode: mirror the selected tags of each source repository to its target. */
async function mainSync(inputs: SyncInputs): Promise<void> {
  debug(
    `inputs: sync ${inputs.pairs.map((p) => `${p.source.registry}/${p.source.repository} => ${p.target.registry}/${p.target.repository}`).join(', ')} sync-tags=${inputs.syncTagPatterns.join(',')} sync-delete=${inputs.syncDelete} max-deletions=${inputs.maxDeletions} parallel=${inputs.parallel} conflict-policy=${inputs.conflictPolicy} referrers=${inputs.referrers} immutable-tags=${inputs.immutableTags.patterns.join(',') || '(none)'} force=${inputs.force} dry-run=${inputs.dryRun}`,
  );
  const client = new RegistryClient({ logger: actionLogger, maskSecret, userAgent: 'container-image-actions/promote' });
  const report = await group(inputs.dryRun ? 'Mirror plan (dry run)' : 'Mirror', () =>
    sync(
      {
        pairs: inputs.pairs,
        tags: inputs.syncTags,
        referrers: inputs.referrers,
        immutable: inputs.immutableTags,
        force: inputs.force,
        delete: inputs.syncDelete,
        maxDeletions: inputs.maxDeletions,
        parallel: inputs.parallel,
        dryRun: inputs.dryRun,
      },
      { client, logger: actionLogger },
    ),
  );
  setOutputs({
    digest: '',
    promoted: mirroredOutput(report),
    mirrored: syncCounts(report),
    'bytes-copied': syncBytes(report),
    blobs: syncBlobs(report),
  });
  writeSyncSummary(report, inputs);
  await writeSummary();
  const problems = syncProblems(report, inputs);
  if (problems.length > 0) {
    throw new OperationError(
      'Mirroring',
      `${problems.length} problem(s), everything else was mirrored: ${problems.join('; ')}`,
    );
  }
}
