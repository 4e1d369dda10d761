// gitops-update's bundle run the way the runner runs it, against real git: bare repositories on
// disk served over smart HTTP that demands the token as an auth header, a concurrent pusher that
// lands a commit between our clone and our push, and a local fake of GitHub's pull request APIs.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '#shared/exec.js';
import { type GitHttpServer, startGitHttp } from '../../fakes/git-http.js';
import { type GitHubPullsFake, startGitHubPullsFake } from '../../fakes/github-pulls.js';
import { type RunResult, runAction } from '../../harness/run-action.js';

const TOKEN = 'ghs_plantedGitopsToken0123456789abcdef';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const fixtures = join(import.meta.dirname, '../../fixtures/gitops');
const D1 = `sha256:${'d'.repeat(64)}`;
const PODINFO = 'deploy/helm-values-podinfo.yaml';
const SOURCEGRAPH = 'deploy/deployment-sourcegraph-frontend.yaml';

let root: string;
let serverRoot: string;
let bare: string;
let gitServer: GitHttpServer;
let beforeRequest: ((req: { method: string; url: string }) => Promise<void>) | undefined;

const gitEnv = () => ({
  ...process.env,
  HOME: root,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Someone Else',
  GIT_AUTHOR_EMAIL: 'else@example.com',
  GIT_COMMITTER_NAME: 'Someone Else',
  GIT_COMMITTER_EMAIL: 'else@example.com',
});
const git = async (cwd: string, args: string[]) =>
  (await runCommand('git', args, { cwd, env: gitEnv() })).stdout.trim();
const show = (rev: string, path: string) => git(bare, ['show', `${rev}:${path}`]);

/** Lands a commit on main directly in the bare repository, as another pusher would. */
async function concurrentCommit(edit: (dir: string) => void, message: string): Promise<string> {
  const dir = mkdtempSync(join(root, 'other-'));
  await git(root, ['clone', '-q', bare, dir]);
  edit(dir);
  await git(dir, ['commit', '-q', '-am', message]);
  await git(dir, ['push', '-q', 'origin', 'HEAD:main']);
  return git(dir, ['rev-parse', 'HEAD']);
}

function replaceLine(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${from} not in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

function filesUnder(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (s.isFile() && s.size < 5_000_000) out.push([p, readFileSync(p, 'latin1')]);
    }
  };
  walk(dir);
  return out;
}

function expectTokenNowhere(result: RunResult, ...dirs: string[]): void {
  const visible = result.everything
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  expect(visible.includes(TOKEN)).toBe(false);
  expect(visible.includes(BASIC)).toBe(false);
  const leaked = [result.dir, ...dirs]
    .flatMap((d) => filesUnder(d))
    .filter(([, c]) => c.includes(TOKEN) || c.includes(BASIC))
    .map(([p]) => p);
  expect(leaked).toEqual([]);
  expect(result.masks).toEqual(expect.arrayContaining([TOKEN, BASIC]));
}

/** The fixture as it is on main before a test, with `from` replaced by `to` on its line. */
function fixtureWith(file: string, from: string, to: string): string {
  const text = readFileSync(join(fixtures, file), 'utf8');
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'gitops-update-'));
  serverRoot = join(root, 'server');
  gitServer = await startGitHttp(serverRoot, TOKEN, (req) => beforeRequest?.(req) ?? Promise.resolve());
});

beforeEach(async () => {
  beforeRequest = undefined;
  gitServer.requests.length = 0;
  rmSync(serverRoot, { recursive: true, force: true });
  bare = join(serverRoot, 'acme', 'deploy.git');
  mkdirSync(bare, { recursive: true });
  await git(bare, ['init', '-q', '--bare', '-b', 'main']);
  const seed = mkdtempSync(join(root, 'seed-'));
  await git(root, ['clone', '-q', bare, seed]);
  mkdirSync(join(seed, 'deploy'));
  for (const f of readdirSync(fixtures).filter((f) => /\.ya?ml$/.test(f)))
    cpSync(join(fixtures, f), join(seed, 'deploy', f));
  writeFileSync(join(seed, 'README.md'), 'deploy\n');
  await git(seed, ['add', '-A']);
  await git(seed, ['commit', '-q', '-m', 'seed']);
  await git(seed, ['push', '-q', 'origin', 'HEAD:main']);
});

afterAll(async () => {
  await gitServer?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const commitInputs = {
  image: 'ghcr.io/stefanprodan/podinfo',
  tag: '6.15.0',
  files: 'deploy/**/*.yaml',
  repository: 'acme/deploy',
};
const serverEnv = () => ({ GITHUB_SERVER_URL: gitServer.url });

describe('gitops-update mode commit against a real git server', () => {
  it('pushes one commit that changes exactly the value, with the token only in an auth header', async () => {
    const before = await git(bare, ['rev-parse', 'main']);
    const r = await runAction('gitops-update', { inputs: commitInputs, githubToken: TOKEN, env: serverEnv() });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const head = await git(bare, ['rev-parse', 'main']);
    expect(r.outputs.changed).toBe('true');
    expect(r.outputs.commit).toBe(head);
    expect(await git(bare, ['rev-parse', 'main~1'])).toBe(before);
    expect(JSON.parse(r.outputs.files as string)).toEqual([
      { file: PODINFO, line: 11, format: 'helm', path: 'image', old: '6.14.1', new: '6.15.0' },
    ]);
    expect(await show('main', PODINFO)).toBe(
      fixtureWith('helm-values-podinfo.yaml', '  tag: 6.14.1\n', '  tag: 6.15.0\n').replace(/\n$/, ''),
    );
    expect(await git(bare, ['diff', '--numstat', 'main~1', 'main'])).toBe(`1\t1\t${PODINFO}`);
    expect(await git(bare, ['log', '-1', '--format=%an <%ae>|%s', 'main'])).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|Update ghcr.io/stefanprodan/podinfo to 6.15.0',
    );
    expect(r.summary).toContain('-  tag: 6.14.1');
    expect(r.summary).toContain('+  tag: 6.15.0');
    expect(r.summary).toContain(`${gitServer.url}/acme/deploy/commit/${head}`);
    // every request to the server carried the header (the server answers 401 otherwise)
    expect(gitServer.requests.length).toBeGreaterThan(0);
    expect(gitServer.requests.every((q) => q.authorization === `Basic ${BASIC}` && !q.url.includes(TOKEN))).toBe(true);
    expectTokenNowhere(r);

    // a second run finds everything up to date: no commit, a notice, success
    const again = await runAction('gitops-update', { inputs: commitInputs, githubToken: TOKEN, env: serverEnv() });
    expect(again.code).toBe(0);
    expect(again.outputs.changed).toBe('false');
    expect(again.outputs.commit).toBe('');
    expect(await git(bare, ['rev-parse', 'main'])).toBe(head);
    expect(again.annotations.filter((a) => a.level === 'notice').map((a) => a.message)).toEqual([
      'Every reference to ghcr.io/stefanprodan/podinfo in 4 file(s) is already up to date',
    ]);
  });

  it('rebases onto a commit that lands between the clone and the push, and both changes land', async () => {
    let landed: string | undefined;
    beforeRequest = async (req) => {
      if (landed || !req.url.includes('service=git-receive-pack')) return;
      landed = await concurrentCommit(
        (dir) => replaceLine(join(dir, SOURCEGRAPH), 'replicas: 2', 'replicas: 3'),
        'scale frontend',
      );
    };
    const r = await runAction('gitops-update', { inputs: commitInputs, githubToken: TOKEN, env: serverEnv() });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(landed).toBeDefined();
    expect(await git(bare, ['rev-parse', 'main~1'])).toBe(landed);
    expect(r.outputs.commit).toBe(await git(bare, ['rev-parse', 'main']));
    expect(await show('main', PODINFO)).toContain('  tag: 6.15.0\n');
    expect(await show('main', SOURCEGRAPH)).toContain('replicas: 3');
    expect(r.stdout).toContain('main moved on since the checkout; fetching and rebasing (retry 1/5)');
  });

  it('stops with a clear error and pushes nothing when the landed commit changed the same line', async () => {
    let landed: string | undefined;
    beforeRequest = async (req) => {
      if (landed || !req.url.includes('service=git-receive-pack')) return;
      landed = await concurrentCommit(
        (dir) => replaceLine(join(dir, PODINFO), '  tag: 6.14.1', '  tag: 6.14.2'),
        'hotfix podinfo',
      );
    };
    const r = await runAction('gitops-update', { inputs: commitInputs, githubToken: TOKEN, env: serverEnv() });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(
      /^rebasing onto main \([0-9a-f]{12}\): a commit that landed meanwhile changed the same lines of deploy\/helm-values-podinfo\.yaml; nothing was pushed/,
    );
    expect(await git(bare, ['rev-parse', 'main'])).toBe(landed);
    expect(await show('main', PODINFO)).toContain('  tag: 6.14.2\n');
    expect(await git(bare, ['for-each-ref', '--format=%(refname)'])).toBe('refs/heads/main');
    expectTokenNowhere(r);
  });

  it('works in an existing checkout (path) whose persisted header holds another token', async () => {
    const workspace = mkdtempSync(join(root, 'ws-checkout-'));
    const checkout = join(workspace, 'deploy-repo');
    // what actions/checkout leaves behind: the remote URL without credentials and an extraheader
    await runCommand('git', ['clone', '-q', `${gitServer.url}/acme/deploy.git`, checkout], {
      env: {
        ...gitEnv(),
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraheader',
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${BASIC}`,
      },
    });
    const stale = Buffer.from('x-access-token:ghs_expiredCheckoutToken').toString('base64');
    await git(checkout, ['config', '--local', `http.${gitServer.url}/.extraheader`, `AUTHORIZATION: basic ${stale}`]);
    const r = await runAction('gitops-update', {
      workspace,
      inputs: { ...commitInputs, path: 'deploy-repo' },
      githubToken: TOKEN,
      env: serverEnv(),
    });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.commit).toBe(await git(bare, ['rev-parse', 'main']));
    expect(await git(checkout, ['rev-parse', 'HEAD'])).toBe(r.outputs.commit);
    expect(await show('main', PODINFO)).toContain('  tag: 6.15.0\n');
    expect(readFileSync(join(checkout, '.git/config'), 'utf8')).not.toContain(BASIC);
  });

  it('dry-run clones and shows the diff against the branch, and pushes nothing', async () => {
    const before = await git(bare, ['rev-parse', 'main']);
    const r = await runAction('gitops-update', {
      inputs: { ...commitInputs, 'dry-run': true },
      githubToken: TOKEN,
      env: serverEnv(),
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.changed).toBe('true');
    expect(r.outputs.commit).toBe('');
    expect(r.stdout).toContain('+  tag: 6.15.0');
    expect(r.summary).toContain('(dry run)');
    expect(await git(bare, ['rev-parse', 'main'])).toBe(before);
    expect(gitServer.requests.some((q) => q.url.includes('git-receive-pack'))).toBe(false);
  });

  it('refuses a wrong token with git’s own answer', async () => {
    const r = await runAction('gitops-update', {
      inputs: commitInputs,
      githubToken: 'ghs_wrongTokenXXXXXXXXXXXXXXXXXXXX',
      env: serverEnv(),
    });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^running git clone of http:\/\/127\.0\.0\.1:\d+\/acme\/deploy\.git: exit code 128/);
  });
});

describe('gitops-update mode pull-request against the GitHub fake (GHES paths)', () => {
  let github: GitHubPullsFake;
  beforeAll(async () => {
    github = await startGitHubPullsFake({
      owner: 'acme',
      repo: 'deploy',
      token: TOKEN,
      prefix: '/api/v3',
      collaborators: ['alice'],
    });
  });
  afterAll(() => github?.close());

  it('opens one pull request with labels, reviewers and auto-merge, then updates it', async () => {
    const inputs = {
      ...commitInputs,
      mode: 'pull-request',
      digest: D1,
      'pr-labels': 'gitops, dev',
      'pr-reviewers': 'alice, acme/platform',
      'auto-merge': 'squash',
    };
    const env = { ...serverEnv(), GITHUB_API_URL: github.apiUrl };
    const main = await git(bare, ['rev-parse', 'main']);
    const r = await runAction('gitops-update', { inputs, githubToken: TOKEN, env });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(await git(bare, ['rev-parse', 'main'])).toBe(main);
    expect(await git(bare, ['rev-parse', 'gitops/podinfo~1'])).toBe(main);
    expect(r.outputs.commit).toBe(await git(bare, ['rev-parse', 'gitops/podinfo']));
    expect(await show('gitops/podinfo', PODINFO)).toContain(`  tag: 6.15.0@${D1}\n`);
    expect(r.outputs['pull-request-number']).toBe('1');
    expect(r.outputs['pull-request-url']).toBe('https://github.com/acme/deploy/pull/1');
    expect(github.pulls).toHaveLength(1);
    const pull = github.pulls[0];
    expect(pull?.title).toBe('Update ghcr.io/stefanprodan/podinfo to 6.15.0 (dddddddddddd)');
    expect(pull?.head.ref).toBe('gitops/podinfo');
    expect(pull?.base.ref).toBe('main');
    expect(pull?.body).toContain(`| deploy/helm-values-podinfo.yaml:11 | \`6.14.1\` | \`6.15.0@${D1}\` |`);
    expect(pull?.labels.map((l) => l.name)).toEqual(['gitops', 'dev']);
    expect(pull?.requested_reviewers.map((u) => u.login)).toEqual(['alice']);
    expect(pull?.requested_teams.map((t) => t.slug)).toEqual(['platform']);
    expect(pull?.auto_merge?.merge_method).toBe('squash');
    expect(github.requests.map((q) => `${q.method} ${new URL(q.url, 'http://x').pathname}`)).toEqual([
      'GET /api/v3/repos/acme/deploy/pulls',
      'POST /api/v3/repos/acme/deploy/pulls',
      'POST /api/v3/repos/acme/deploy/issues/1/labels',
      'POST /api/v3/repos/acme/deploy/pulls/1/requested_reviewers',
      'POST /api/graphql',
    ]);
    expectTokenNowhere(r);

    // a newer build: the same pull request is updated, the branch rebuilt from main
    const next = await runAction('gitops-update', {
      inputs: { ...inputs, tag: '6.15.1', 'pr-title': 'podinfo {tag} ({short-digest})' },
      githubToken: TOKEN,
      env,
    });
    expect(next.errors).toEqual([]);
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]?.title).toBe('podinfo 6.15.1 (dddddddddddd)');
    expect(next.outputs['pull-request-number']).toBe('1');
    expect(await git(bare, ['rev-parse', 'gitops/podinfo~1'])).toBe(main);
    expect(await show('gitops/podinfo', PODINFO)).toContain(`  tag: 6.15.1@${D1}\n`);
    expect(github.requests.filter((q) => q.method === 'PATCH')).toHaveLength(1);

    // the same run again: the branch already holds this change, so it is not pushed again
    const tip = await git(bare, ['rev-parse', 'gitops/podinfo']);
    const same = await runAction('gitops-update', {
      inputs: { ...inputs, tag: '6.15.1', 'pr-title': 'podinfo {tag} ({short-digest})' },
      githubToken: TOKEN,
      env,
    });
    expect(same.errors).toEqual([]);
    expect(await git(bare, ['rev-parse', 'gitops/podinfo'])).toBe(tip);
    expect(same.outputs.commit).toBe(tip);
    expect(same.stdout).toContain(`gitops/podinfo already holds this change (${tip.slice(0, 12)}); not pushed again`);
    expect(github.pulls).toHaveLength(1);
  });
});

describe('gitops-update in the workspace (mode none, dry-run) and bad input', () => {
  let workspace: string;
  beforeEach(() => {
    workspace = mkdtempSync(join(root, 'ws-'));
    mkdirSync(join(workspace, 'deploy'));
    for (const f of readdirSync(fixtures).filter((f) => /\.ya?ml$/.test(f)))
      cpSync(join(fixtures, f), join(workspace, 'deploy', f));
  });
  const snapshot = () => Object.fromEntries(filesUnder(workspace).map(([p, c]) => [p, c]));

  it('dry-run prints the diff and changes nothing', async () => {
    const before = snapshot();
    const r = await runAction('gitops-update', {
      workspace,
      inputs: {
        image: 'docker.io/sourcegraph/frontend',
        digest: D1,
        files: 'deploy/*.yaml',
        mode: 'none',
        'dry-run': true,
      },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.changed).toBe('true');
    expect(JSON.parse(r.outputs.files as string)).toEqual([
      {
        file: SOURCEGRAPH,
        line: 66,
        format: 'kubernetes',
        path: 'spec.template.spec.containers.0.image',
        old: 'index.docker.io/sourcegraph/frontend:insiders@sha256:0b3b4c5db65ed1105a74a8c744e69044c525737627eb9f13eae7a96c508d2bbf',
        new: `index.docker.io/sourcegraph/frontend:insiders@${D1}`,
      },
    ]);
    expect(r.stdout).toContain(`+        image: index.docker.io/sourcegraph/frontend:insiders@${D1}`);
    expect(snapshot()).toEqual(before);
  });

  it('mode none writes the files in the workspace for a later step', async () => {
    const r = await runAction('gitops-update', {
      workspace,
      inputs: { image: 'docker.io/library/nginx', tag: '1.31.4-alpine', files: 'deploy/*.yml', mode: 'none' },
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.changed).toBe('true');
    expect(readFileSync(join(workspace, 'deploy/docker-compose-sentry.yml'), 'utf8')).toBe(
      fixtureWith('docker-compose-sentry.yml', '"nginx:1.31.3-alpine"', '"nginx:1.31.4-alpine"'),
    );
  });

  it('warns with each file’s references when nothing matched', async () => {
    const r = await runAction('gitops-update', {
      workspace,
      inputs: { image: 'ghcr.io/acme/app', tag: '1', files: 'deploy/docker-compose-sentry.yml', mode: 'none' },
    });
    expect(r.code).toBe(0);
    expect(r.outputs.changed).toBe('false');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('No reference to ghcr.io/acme/app was updated in 1 file(s):');
    expect(r.warnings[0]).toContain('line 110 (compose) $SNUBA_IMAGE: uses a variable or template, never rewritten');
    expect(r.warnings[0]).toContain('line 610 (compose) nginx:1.31.3-alpine: names docker.io/library/nginx');
  });

  it.each([
    [{ files: 'manifests/**/*.yaml' }, "Input 'files': matched no files under"],
    [{ digest: 'sha256:1234' }, "Input 'digest': 'sha256:1234' is not a digest (expected sha256: followed by 64"],
    [{ digest: `ghcr.io/acme/app@${D1}` }, "Input 'digest': 'ghcr.io/acme/app@sha256:"],
    [{ tag: '' }, "Input 'tag': or digest is required"],
    [{ image: 'ghcr.io/acme/app:1.0' }, "Input 'image': 'ghcr.io/acme/app:1.0' names a tag or digest"],
    [
      { files: 'deploy/*.yaml\nnotes.txt' },
      "Input 'files': 'notes.txt' is not valid YAML (line 1: Nested mappings are not allowed in compact mappings)",
    ],
    [{ files: '../*.yaml' }, "Input 'files': '../*.yaml' leaves the repository"],
    [{ mode: 'push' }, "Input 'mode': 'push' is not accepted (expected one of: commit, pull-request, none)"],
  ])('fails clearly with no file changed on %j', async (extra, message) => {
    writeFileSync(join(workspace, 'notes.txt'), 'image: ghcr.io/acme/app:1\n  - not: [yaml\n');
    const before = snapshot();
    const r = await runAction('gitops-update', {
      workspace,
      inputs: { image: 'ghcr.io/stefanprodan/podinfo', tag: '6.15.0', files: 'deploy/*.yaml', mode: 'none', ...extra },
    });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot()).toEqual(before);
  });
});
