// retention-cleanup: plan every repository by mark and sweep, refuse plans above max-deletions,
// write the plan and the restore file, then delete (unless dry-run) and report.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { actionLogger, group, info, maskSecret, warning } from '#shared/action/log.js';
import { setOutput } from '#shared/action/outputs.js';
import { writeSummary } from '#shared/action/summary.js';
import { ConfigurationError } from '#shared/errors.js';
import { GitHubClient } from '#shared/github/client.js';
import { scanImageReferences } from '#shared/manifests/image-references.js';
import { RegistryClient } from '#shared/oci/client.js';
import {
  chainCredentials,
  type Credential,
  dockerConfigCredentials,
  staticCredentials,
} from '#shared/oci/credentials.js';
import { type ArtifactUploader, workflowArtifact } from './artifact.js';
import { DockerHubApi } from './dockerhub.js';
import { readInputs, type RetentionInputs } from './inputs.js';
import { planRepository, type Referenced, type RepositoryPlan } from './plan.js';
import { DockerHubProvider, GhcrProvider, OciProvider, type Provider } from './providers.js';
import { writeReport } from './report.js';
import { restoreFile, type SweepResult, sweep } from './sweep.js';

export async function referencedImages(inputs: RetentionInputs, cwd: string): Promise<Map<string, Referenced>> {
  const out = new Map<string, Referenced>();
  for (const r of inputs.repositories)
    out.set(`${r.registry}/${r.repository}`, { tags: new Map(), digests: new Map() });
  if (inputs.keepReferencedIn.length === 0) return out;
  const scan = await scanImageReferences(inputs.keepReferencedIn, {
    cwd,
    repositories: inputs.repositories,
    input: 'keep-referenced-in',
  });
  if (scan.files.length === 0) {
    throw new ConfigurationError(
      `matched no files under ${cwd} (check out the repository first; globs such as deploy/**/*.yaml are relative to the workspace)`,
      'keep-referenced-in',
    );
  }
  info(`keep-referenced-in: ${scan.files.length} file(s), ${scan.references.length} image reference(s)`);
  for (const u of scan.unresolved) actionLogger.debug(`keep-referenced-in: ${u.file}:${u.line} '${u.text}' ${u.why}`);
  for (const ref of scan.references) {
    const entry = out.get(`${ref.registry}/${ref.repository}`);
    if (!entry) continue;
    const where = `${ref.file}:${ref.line}`;
    if (ref.digest) entry.digests.set(ref.digest, where);
    else if (ref.tag) entry.tags.set(ref.tag, where);
    else entry.tags.set('latest', where);
    if (ref.digest && ref.tag) entry.tags.set(ref.tag, where);
  }
  return out;
}

function buildProvider(inputs: RetentionInputs): { provider: Provider; requests: () => number } {
  const statics: Record<string, Credential> = {};
  for (const r of inputs.repositories) {
    if (inputs.username && inputs.password)
      statics[r.registry] = { username: inputs.username, password: inputs.password };
    else if (inputs.provider === 'ghcr' && inputs.token)
      statics[r.registry] = { username: 'token', password: inputs.token };
  }
  const registry = new RegistryClient({
    credentials: chainCredentials(staticCredentials(statics), dockerConfigCredentials()),
    maskSecret,
    logger: actionLogger,
    userAgent: 'container-image-actions/retention-cleanup',
  });
  if (inputs.provider === 'ghcr') {
    if (!inputs.token)
      throw new ConfigurationError(
        'is required for GitHub Packages (a token allowed to delete package versions, such as github.token with packages: write)',
        'token',
      );
    const github = new GitHubClient({ token: inputs.token, logger: actionLogger });
    return {
      provider: new GhcrProvider(registry, github),
      requests: () => registry.requestCount() + github.requestCount(),
    };
  }
  if (inputs.provider === 'dockerhub') {
    if (!inputs.username || !inputs.password) {
      throw new ConfigurationError(
        'and password are required for Docker Hub (the Hub API that deletes tags needs them)',
        'username',
      );
    }
    const hub = new DockerHubApi({
      username: inputs.username,
      password: inputs.password,
      maskSecret,
      logger: actionLogger,
    });
    return {
      provider: new DockerHubProvider(registry, hub),
      requests: () => registry.requestCount() + hub.requestCount(),
    };
  }
  return { provider: new OciProvider(registry), requests: () => registry.requestCount() };
}

export async function main(uploader: ArtifactUploader = workflowArtifact): Promise<void> {
  const inputs = readInputs();
  actionLogger.debug(
    `retention-cleanup: ${inputs.repositories.length} repositories, provider ${inputs.provider}, keep ${inputs.keepPatterns.join(' ')}, delete ${inputs.deletePatterns.join(' ') || '(every tag not kept)'}, dry-run ${inputs.dryRun}`,
  );
  const cwd = process.env.GITHUB_WORKSPACE || process.cwd();
  const referenced = await referencedImages(inputs, cwd);
  const { provider, requests } = buildProvider(inputs);
  const now = Date.now();

  const plans: RepositoryPlan[] = [];
  for (const repo of inputs.repositories) {
    const name = `${repo.registry}/${repo.repository}`;
    const plan = await group(`Planning ${name}`, () =>
      planRepository(provider, repo, {
        policy: inputs.policy,
        referenced: referenced.get(name) as Referenced,
        now,
        logger: actionLogger,
      }),
    );
    plans.push(plan);
  }

  // One new directory per step: a second cleanup step in the same job (another provider, or a
  // dry run) must never replace the record of what the first one deleted.
  const base = process.env.RUNNER_TEMP || cwd;
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, `retention-cleanup-${safeName(process.env.GITHUB_RUN_ID ?? String(now))}-`));
  const planFile = join(dir, 'plan.json');
  const restorePath = join(dir, 'restore.json');
  await writeFile(planFile, `${JSON.stringify(planJson(plans, inputs), null, 2)}\n`, { flag: 'wx' });
  await writeFile(restorePath, `${JSON.stringify(restoreFile(plans, new Date(now)), null, 2)}\n`, { flag: 'wx' });
  setOutput('plan-file', planFile);
  setOutput('restore-file', restorePath);

  const total = plans.reduce((n, p) => n + p.deletions.length + p.untags.length, 0);
  const overLimit = total > inputs.maxDeletions;
  // a dry run is how a policy is tried out: it reports the whole plan, and says a real run would refuse it
  if (overLimit && inputs.dryRun) {
    warning(
      `the plan deletes ${total} manifest(s) and tag(s), more than max-deletions (${inputs.maxDeletions}): a run that is not a dry run would refuse it and delete nothing`,
    );
  }
  if (overLimit && !inputs.dryRun) {
    await writeReport(plans, [], {
      dryRun: inputs.dryRun,
      refused: true,
      overLimit,
      maxDeletions: inputs.maxDeletions,
      uploadNote: '',
    });
    await writeSummary();
    throw new ConfigurationError(
      `the plan deletes ${total} manifest(s) and tag(s), more than ${inputs.maxDeletions}; nothing was deleted. Check the plan (${planFile}), then raise max-deletions or narrow the policy`,
      'max-deletions',
    );
  }
  // named after the step's own directory, so two cleanup steps in one job never collide
  const uploadNote = await uploader.upload(basename(dir), [planFile, restorePath], dir);

  const results: SweepResult[] = [];
  if (!inputs.dryRun) {
    for (const [i, repo] of inputs.repositories.entries()) {
      const plan = plans[i] as RepositoryPlan;
      results.push(await group(`Deleting in ${plan.repository}`, () => sweep(provider, repo, plan, actionLogger)));
    }
  }

  const deleted = plans.flatMap((p, i) =>
    inputs.dryRun
      ? p.deletions.map((d) => ({ repository: p.repository, tags: d.tags, digest: d.digest, reason: d.reason }))
      : (results[i]?.deleted ?? []).map((d) => ({
          repository: p.repository,
          tags: d.tags,
          digest: d.digest,
          reason: d.reason,
        })),
  );
  const keptReasons: Record<string, number> = {};
  let keptCount = 0;
  for (const p of plans) {
    for (const r of p.roots.filter((x) => x.decision === 'keep')) {
      keptCount++;
      const reason = r.reason.replace(/'[^']*'/g, "'…'").replace(/ in \S+:\d+$/, ' in the deployment files');
      keptReasons[reason] = (keptReasons[reason] ?? 0) + 1;
    }
  }
  setOutput('deleted', deleted);
  setOutput('kept', { count: keptCount, reasons: keptReasons });
  setOutput(
    'reclaimed-bytes',
    plans.reduce((n, p) => n + p.reclaimableBytes, 0),
  );
  await writeReport(plans, results, {
    dryRun: inputs.dryRun,
    refused: false,
    overLimit,
    maxDeletions: inputs.maxDeletions,
    uploadNote,
  });
  await writeSummary();
  info(
    `retention-cleanup: ${deleted.length} manifest(s) ${inputs.dryRun ? 'would be deleted' : 'deleted'}, ${requests()} requests`,
  );
}

/** A run id as a file-name part (it is read from the environment, so it is data). */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'run';
}

function planJson(plans: readonly RepositoryPlan[], inputs: RetentionInputs) {
  return {
    policy: {
      keepTags: inputs.keepPatterns,
      deleteTags: inputs.deletePatterns,
      keepLast: inputs.policy.keepLast ?? null,
      olderThanMs: inputs.policy.olderThanMs ?? null,
      untagged: inputs.policy.untagged,
      keepReferencedIn: inputs.keepReferencedIn,
      maxDeletions: inputs.maxDeletions,
      dryRun: inputs.dryRun,
    },
    repositories: plans.map((p) => ({
      repository: p.repository,
      provider: p.provider,
      tags: p.tagCount,
      manifests: p.manifestCount,
      reclaimableBytes: p.reclaimableBytes,
      roots: p.roots,
      deletions: p.deletions.map(({ bytes: _b, ...d }) => d),
      untags: p.untags.map(({ tag, digest }) => ({ tag, digest })),
      notes: p.notes,
    })),
  };
}
