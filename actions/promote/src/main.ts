// Orchestration of the promote action: inputs -> promotion -> outputs and job summary.
import { actionLogger, debug, group, maskSecret } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { writeSummary } from '#shared/action/summary.js';
import { RegistryClient } from '#shared/oci/client.js';
import { formatReference } from '#shared/oci/reference.js';
import { getInputs } from './inputs.js';
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
import { formatTarget } from './targets.js';

export async function main(): Promise<void> {
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
