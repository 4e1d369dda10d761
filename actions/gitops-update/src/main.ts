// gitops-update: find the image's references in the selected files, plan every edit first, show
// the diff, then (unless dry-run) write the files and land them: nothing more (mode none), a
// commit pushed to the branch (commit), or a commit on a branch with one pull request for it.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { actionLogger, annotate, foreignText, group, info, warning } from '#shared/action/log.js';
import { setOutputs } from '#shared/action/outputs.js';
import { addDetails, addHeading, addTable, addText, writeSummary } from '#shared/action/summary.js';
import { ConfigurationError } from '#shared/errors.js';
import { GitRepo } from '#shared/git/git-repo.js';
import { GitHubClient } from '#shared/github/client.js';
import { upsertPullRequest } from '#shared/github/pull-requests.js';
import {
  defaultCommitMessage,
  defaultPrBody,
  explainNoMatch,
  type FilePlan,
  imageUpdate,
  planFiles,
  renderDiff,
  renderTemplate,
  selectFiles,
  templateValues,
  versionText,
  writePlans,
} from './edits.js';
import { type GitopsInputs, readInputs } from './inputs.js';
import { commitAndPush } from './publish.js';

export interface MainOptions {
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
}

interface Workdir {
  root: string;
  repo?: GitRepo;
  branch?: string;
}

async function prepare(inputs: GitopsInputs, env: NodeJS.ProcessEnv): Promise<Workdir> {
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  if (inputs.path) {
    const root = resolve(workspace, inputs.path);
    if (inputs.mode === 'none' || inputs.dryRun) return { root };
    const repo = new GitRepo({ cwd: root });
    if ((await repo.revParse('HEAD')) === undefined)
      throw new ConfigurationError(`'${inputs.path}' is not a git checkout with a commit`, 'path');
    const current = await repo.currentBranch();
    if (inputs.branch && current && current !== inputs.branch)
      throw new ConfigurationError(
        `'${inputs.path}' has branch ${current} checked out, not ${inputs.branch}`,
        'branch',
      );
    const branch = inputs.branch ?? current;
    if (!branch)
      throw new ConfigurationError(`'${inputs.path}' is on a detached HEAD; name the branch to push to`, 'branch');
    return { root, repo, branch };
  }
  if (inputs.mode === 'none') return { root: workspace };
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  const url = `${server}/${inputs.repository}.git`;
  const root = await mkdtemp(join(env.RUNNER_TEMP || tmpdir(), 'gitops-update-'));
  const repo = await group(`Cloning ${inputs.repository}${inputs.branch ? ` (${inputs.branch})` : ''}`, () =>
    GitRepo.clone(url, root, {
      ...(inputs.branch ? { branch: inputs.branch } : {}),
      ...(inputs.token ? { token: inputs.token } : {}),
    }),
  );
  const branch = inputs.branch ?? (await repo.currentBranch());
  if (!branch) throw new ConfigurationError(`${inputs.repository} has no default branch to update`, 'branch');
  return { root, repo, branch };
}

function summarize(inputs: GitopsInputs, plans: readonly FilePlan[], link: string | undefined): void {
  const changed = plans.filter((p) => p.changes.length > 0);
  addHeading(`gitops-update: ${inputs.newImage ?? inputs.imageText}${inputs.dryRun ? ' (dry run)' : ''}`);
  addTable(
    ['file:line', 'old', 'new'],
    changed.flatMap((p) => p.changes.map((c) => [`${p.file}:${c.line}`, c.old, c.new])),
  );
  if (link) addText(`\n${link}\n`);
  for (const p of changed) {
    const diff = renderDiff(p);
    const fence = '`'.repeat(Math.max(3, ...[...diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    addDetails(p.file, `${fence}diff\n${diff}\n${fence}`);
  }
}

export async function main(options: MainOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const inputs = readInputs(env);
  actionLogger.debug(
    `gitops-update: image ${inputs.imageText}, tag ${inputs.tag ?? '-'}, digest ${inputs.digest ?? '-'}, mode ${inputs.mode}, dry-run ${inputs.dryRun}, files ${inputs.files.join(' ')}`,
  );
  const work = await prepare(inputs, env);
  const files = await selectFiles(work.root, inputs.files, inputs.exclude);
  const update = imageUpdate(inputs);
  const plans = await planFiles(work.root, files, update);
  const changed = plans.filter((p) => p.after !== p.before);
  const outputsFiles = changed.flatMap((p) =>
    p.changes.map((c) => ({ file: p.file, line: c.line, format: c.format, path: c.path, old: c.old, new: c.new })),
  );
  for (const p of plans) {
    for (const s of p.skipped)
      annotate('warning', `${s.text} names the image but was not updated: ${s.why}`, { file: p.file, line: s.line });
    for (const c of p.changes) if (c.note) annotate('notice', `${c.new}: ${c.note}`, { file: p.file, line: c.line });
  }
  const empty = { commit: '', 'pull-request-number': '', 'pull-request-url': '' };

  if (changed.length === 0) {
    const matched = plans.some((p) => p.references.some((r) => r.why === undefined));
    if (matched) {
      annotate('notice', `Every reference to ${inputs.imageText} in ${plans.length} file(s) is already up to date`);
    } else {
      warning(explainNoMatch(plans, inputs.imageText));
    }
    setOutputs({ changed: false, files: [], ...empty });
    return;
  }

  await group(`Changes (${outputsFiles.length} in ${changed.length} file(s))`, async () => {
    foreignText(changed.map((p) => renderDiff(p)).join('\n'));
  });

  if (inputs.dryRun) {
    info(`Dry run: ${outputsFiles.length} change(s) in ${changed.length} file(s) were not written`);
    summarize(inputs, plans, undefined);
    setOutputs({ changed: true, files: outputsFiles, ...empty });
    await writeSummary();
    return;
  }

  const values = templateValues(
    inputs,
    changed.map((p) => p.file),
  );
  const paths = changed.map((p) => p.file);

  if (inputs.mode === 'none' || !work.repo || !work.branch) {
    await writePlans(work.root, changed);
    info(`Wrote ${outputsFiles.length} change(s) to ${changed.length} file(s) in ${work.root}`);
    summarize(inputs, plans, undefined);
    setOutputs({ changed: true, files: outputsFiles, ...empty });
    await writeSummary();
    return;
  }

  const message = inputs.commitMessage
    ? renderTemplate(inputs.commitMessage, values)
    : defaultCommitMessage(values, changed);
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');

  if (inputs.mode === 'commit') {
    await writePlans(work.root, changed);
    const sha = await group(`Committing to ${work.branch}`, () =>
      commitAndPush(work.repo as GitRepo, paths, message, {
        branch: work.branch as string,
        token: inputs.token,
        author: inputs.author,
        logger: actionLogger,
        ...(options.sleep ? { sleep: options.sleep } : {}),
      }),
    );
    const link = `${server}/${inputs.repository}/commit/${sha}`;
    info(`Pushed ${sha} to ${work.branch}: ${link}`);
    summarize(inputs, plans, `Commit [${sha.slice(0, 12)}](${link}) on ${work.branch}`);
    setOutputs({ changed: true, files: outputsFiles, ...empty, commit: sha });
    await writeSummary();
    return;
  }

  // pull-request: the branch starts from the base each run, so the pull request shows this run's edit alone
  await work.repo.checkoutNew(inputs.prBranch);
  await writePlans(work.root, changed);
  await work.repo.commitPaths(paths, message, inputs.author);
  let sha = (await work.repo.revParse('HEAD')) as string;
  const tokenOption = inputs.token ? { token: inputs.token } : {};
  // the same edit on the same base is already on the branch: pushing again would only restart its checks
  const existing = await work.repo.fetchBranchIfExists(inputs.prBranch, tokenOption);
  if (existing && (await work.repo.sameCommitContent(existing, sha))) {
    info(`${inputs.prBranch} already holds this change (${existing.slice(0, 12)}); not pushed again`);
    sha = existing;
  } else {
    const pushed = await work.repo.push(inputs.prBranch, { force: true, ...tokenOption });
    if (pushed !== 'pushed')
      throw new ConfigurationError(`the remote refused a push to ${inputs.prBranch}`, 'pr-branch');
  }
  const github = new GitHubClient({
    ...(inputs.token ? { token: inputs.token } : {}),
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
    logger: actionLogger,
    userAgent: 'container-image-actions/gitops-update',
  });
  const title = inputs.prTitle
    ? renderTemplate(inputs.prTitle, values)
    : `Update ${values.image} to ${versionText(values)}`;
  const body = inputs.prBody ? renderTemplate(inputs.prBody, values) : defaultPrBody(values, changed);
  const pr = await upsertPullRequest(
    github,
    {
      repository: inputs.repository,
      head: inputs.prBranch,
      base: work.branch,
      title,
      body,
      labels: inputs.prLabels,
      reviewers: inputs.prReviewers,
      ...(inputs.autoMerge ? { autoMerge: inputs.autoMerge } : {}),
    },
    actionLogger,
  );
  summarize(inputs, plans, `Pull request [#${pr.number}](${pr.url}) from ${inputs.prBranch} into ${work.branch}`);
  setOutputs({
    changed: true,
    files: outputsFiles,
    commit: sha,
    'pull-request-number': pr.number,
    'pull-request-url': pr.url,
  });
  await writeSummary();
}
