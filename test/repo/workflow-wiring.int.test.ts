// The reusable workflows run end to end here (test/harness/workflow-runner.ts): every job in
// dependency order, every matrix leg, every `with:` evaluated against what the earlier steps
// and jobs really produced, each of our actions as its bundle through the runner protocol,
// against the stack's htpasswd registry, buildah, a local git server, the fake Actions OIDC
// endpoint and a private Sigstore instance. Trivy itself cannot be downloaded here: its place in
// the tool cache is taken by the stand-in that writes a recorded real report (as trivy-scan's
// own tests do), and the databases are pushed to the local registry with Trivy's media types.
// A read of any output, input or matrix value that nobody produced fails the test.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';
import { runWorkflow, type WorkflowRun, type WorkflowRunOptions } from '../harness/workflow-runner.js';

const stack = inject('stack');
const registry = stack.htpasswd;
const fixtures = join(repoRoot, '../shared/fixtures');
const WORKFLOW_REF = 'your-org/container-image-actions/.github/workflows/release.yml@refs/tags/v1';
const IDENTITY = `https://github.com/${WORKFLOW_REF}`;
const GIT_TOKEN = `git-token-${process.pid}`;
const IMAGE = `${registry.host}/wiring/app`;

// helpers that arrive with the actions they serve (loaded by path, so that this file compiles
// before they exist; a missing one fails the test that needs it)
async function load<T>(path: string): Promise<T> {
  return (await import(join(repoRoot, path))) as T;
}

interface Closeable {
  close(): Promise<void>;
}

let work: string;
let app: string;
let sha: string;
const closers: Closeable[] = [];
let github: WorkflowRunOptions['github'];
let policy: string;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    // git's own notes (an empty repository cloned) stay out of the output; errors keep stderr
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'wiring-'));
  app = join(work, 'app');
  mkdirSync(app);
  copyFileSync(stack.busybox, join(app, 'busybox'));
  writeFileSync(join(app, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\n');
  git(app, 'init', '-q', '-b', 'main');
  git(app, 'add', '-A');
  git(app, 'commit', '-q', '-m', 'app');
  git(app, 'tag', 'v1.2.0');
  sha = git(app, 'rev-parse', 'HEAD');
  github = {
    repository: 'octo-org/octo-app',
    repository_owner: 'octo-org',
    actor: 'octocat',
    ref: 'refs/tags/v1.2.0',
    ref_name: 'v1.2.0',
    ref_type: 'tag',
    sha,
    event_name: 'push',
    workflow_ref: WORKFLOW_REF,
    token: 'ghs_wiring-token',
    server_url: 'https://github.com',
    event: {
      ref: 'refs/tags/v1.2.0',
      after: sha,
      head_commit: { id: sha, timestamp: new Date().toISOString() },
      repository: { name: 'octo-app', full_name: 'octo-org/octo-app', default_branch: 'main' },
    },
  };
});

afterAll(async () => {
  for (const c of closers) await c.close();
});

function expectClean(run: WorkflowRun): void {
  const failed = run.steps.filter((s) => s.outcome === 'failure').map((s) => `${s.job}/${s.step}: ${s.error}`);
  expect(failed).toEqual([]);
  expect(run.misses).toEqual([]);
}

describe('release.yml', () => {
  let run: WorkflowRun;
  let releaseOptions: WorkflowRunOptions;

  beforeAll(async () => {
    // Trivy's databases in the local registry, the recorded report behind the stand-in Trivy
    const { pushDb } = await load<{
      pushDb: (host: string, repo: string, tag: string, kind: string, size: number, seed: string) => Promise<unknown>;
    }>('test/shared/trivy/db-artifact.ts');
    const dbRegistry = stack.anonymous.host;
    await pushDb(dbRegistry, 'wiring/trivy-db', '2', 'db', 64 * 1024, 'wiring');
    const { DEFAULT_TRIVY_VERSION, TRIVY_CHECKSUMS } = await load<{
      DEFAULT_TRIVY_VERSION: string;
      TRIVY_CHECKSUMS: Record<string, Record<string, string>>;
    }>('shared/src/trivy/checksums.ts');
    const archive = `trivy_${DEFAULT_TRIVY_VERSION}_Linux-${process.arch === 'arm64' ? 'ARM64' : '64bit'}.tar.gz`;
    const archiveSha = TRIVY_CHECKSUMS[DEFAULT_TRIVY_VERSION]?.[archive] ?? '';
    // Trivy as a runner's tool cache holds it once installed (trivy-scan's layout and marker)
    const seedTrivy = (toolCache: string) => {
      const dir = join(toolCache, 'trivy', DEFAULT_TRIVY_VERSION, process.arch);
      mkdirSync(dir, { recursive: true });
      const standIn = join(repoRoot, 'test/fixtures/workflows/stand-in-trivy.mjs');
      writeFileSync(join(dir, 'trivy'), `#!/bin/sh\nexec '${process.execPath}' '${standIn}' "$@"\n`);
      chmodSync(join(dir, 'trivy'), 0o755);
      writeFileSync(join(dir, '.archive-sha256'), `${archiveSha}\n`);
      writeFileSync(`${dir}.complete`, '');
    };
    // the OIDC endpoint of the sign job and the private Sigstore instance it signs with
    const { startOidcFake } = await load<{
      startOidcFake: (c: object) => Promise<Closeable & { env: Record<string, string> }>;
    }>('test/fakes/actions-oidc.ts');
    const oidc = await startOidcFake({ job_workflow_ref: WORKFLOW_REF });
    closers.push(oidc);
    const { startSigstoreFake } = await load<{
      startSigstoreFake: (o: object) => Promise<Closeable & { fulcioUrl: string; rekorUrl: string; tsaUrl: string }>;
    }>('test/fakes/sigstore.ts');
    const sigstore = await startSigstoreFake({ oidc });
    closers.push(sigstore);
    // the repository that calls promote.yml, holding the trusted root of that Sigstore
    policy = join(work, 'policy');
    mkdirSync(join(policy, '.github/sigstore'), { recursive: true });
    writeFileSync(
      join(policy, '.github/sigstore/trusted_root.json'),
      JSON.stringify((sigstore as unknown as { trustedRoot: object }).trustedRoot),
    );
    git(policy, 'init', '-q', '-b', 'main');
    git(policy, 'add', '-A');
    git(policy, 'commit', '-q', '-m', 'trusted root');
    // the deployment repository behind a local git server that wants the token
    const { startGitHttp } = await load<{
      startGitHttp: (root: string, token: string, hook: () => Promise<void>) => Promise<Closeable & { url: string }>;
    }>('test/fakes/git-http.ts');
    const serverRoot = join(work, 'git-server');
    const bare = join(serverRoot, 'octo-org', 'deploy.git');
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '-q', '--bare', '-b', 'main');
    const seed = join(work, 'seed');
    git(work, 'clone', '-q', bare, seed);
    mkdirSync(join(seed, 'dev'));
    writeFileSync(
      join(seed, 'dev', 'deployment.yaml'),
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${IMAGE}:1.1.0\n`,
    );
    git(seed, 'add', '-A');
    git(seed, 'commit', '-q', '-m', 'seed');
    git(seed, 'push', '-q', 'origin', 'HEAD:main');
    const gitServer = await startGitHttp(serverRoot, GIT_TOKEN, () => Promise.resolve());
    closers.push(gitServer);

    releaseOptions = {
      github,
      checkoutFrom: app,
      inputs: {
        image: IMAGE,
        platforms: 'linux/amd64,linux/arm64',
        builder: 'buildah',
        registry: registry.host,
        username: registry.user.username,
        'max-critical': '',
        'scan-policy': 'warn',
        'trivy-db-repository': `${dbRegistry}/wiring/trivy-db:2`,
        'trivy-java-db-repository': '',
        'fulcio-url': sigstore.fulcioUrl,
        'rekor-url': sigstore.rekorUrl,
        'tsa-url': sigstore.tsaUrl,
        'gitops-files': 'dev/*.yaml',
        'gitops-repository': 'octo-org/deploy',
      },
      secrets: { password: registry.user.password, 'gitops-token': GIT_TOKEN },
      env: ({ job }) => {
        const env: Record<string, string> = {};
        if (job === 'scan') {
          env.STANDIN_TRIVY_REPORT = join(fixtures, 'trivy/FuelTime-1.json');
          env.STANDIN_TRIVY_LOG = join(work, 'trivy-argv.log');
          env.STANDIN_TRIVY_SBOM = join(fixtures, 'sbom/trivy-cyclonedx-1.6-nginx.json');
        }
        if (job === 'sign') Object.assign(env, oidc.env, { GITHUB_WORKFLOW_REF: WORKFLOW_REF });
        if (job === 'deploy') env.GITHUB_SERVER_URL = gitServer.url;
        return env;
      },
      toolCache: seedTrivy,
    };
    run = await runWorkflow(join(repoRoot, '.github/workflows/release.yml'), releaseOptions);
  }, 600_000);

  it('runs every job and leg, and reads nothing that was not produced', () => {
    expectClean(run);
    expect(Object.fromEntries(Object.entries(run.jobs).map(([k, j]) => [k, j.result]))).toEqual({
      meta: 'success',
      build: 'success',
      merge: 'success',
      release: 'success',
      scan: 'success',
      sign: 'success',
      deploy: 'success',
      verdict: 'success',
    });
    expect(run.jobs.build?.legs.map((l) => [l.matrix.platform, l.runsOn])).toEqual([
      ['linux/amd64', 'ubuntu-24.04'],
      ['linux/arm64', 'ubuntu-24.04-arm'],
    ]);
  });

  it('gives the digest of one index of both platforms, under the release tags', () => {
    const digest = run.outputs.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.outputs.image).toBe(`${IMAGE}@${digest}`);
    expect(run.outputs.version).toBe('1.2.0');
    expect((run.outputs.tags ?? '').split('\n')).toEqual(expect.arrayContaining([`${IMAGE}:1.2.0`, `${IMAGE}:latest`]));
    const raw = execFileSync(
      stack.skopeo,
      [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `${registry.user.username}:${registry.user.password}`,
        `docker://${IMAGE}:1.2.0`,
      ],
      { encoding: 'utf8' },
    );
    const index = JSON.parse(raw) as { manifests: Array<{ platform: { architecture: string } }> };
    expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);
    const releases = JSON.parse(run.outputs.releases ?? '{}') as Record<string, { digest: string }>;
    expect(Object.values(releases).map((r) => r.digest)).toEqual([digest]);
  });

  it('scans the merged digest, uploads SARIF and hands the same report to the signature', () => {
    const scan = run.steps.find((s) => s.job === 'scan' && s.step === 'scan');
    expect(scan?.inputs.image).toBe(run.outputs.image);
    expect(scan?.outputs.digest).toBe(run.outputs.digest);
    expect(run.outputs['scan-passed']).toBe(scan?.outputs.passed);
    const sarif = run.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    expect(sarif?.outcome).toBe('success');
    const sign = run.steps.find((s) => s.job === 'sign' && s.step === 'sign');
    expect(sign?.outputs.digest).toBe(run.outputs.digest);
    expect(sign?.outputs['certificate-identity']).toBe(IDENTITY);
    expect(JSON.parse(sign?.outputs.attestations ?? '[]').length).toBe(3);
  });

  it('promote.yml lets the keyless signature of this release through its gate, and no other identity', async () => {
    const promote = (identity: string) =>
      runWorkflow(join(repoRoot, '.github/workflows/promote.yml'), {
        github: { ...github, event_name: 'workflow_dispatch' },
        checkoutFrom: policy,
        inputs: {
          image: run.outputs.image ?? '',
          environment: 'prod',
          targets: 'prod',
          'certificate-identity': identity,
          'trusted-root': '.github/sigstore/trusted_root.json',
          'require-attestations': 'cyclonedx,slsa-provenance',
          registry: registry.host,
          username: registry.user.username,
        },
        secrets: { password: registry.user.password },
      });
    const passed = await promote(IDENTITY);
    expectClean(passed);
    expect(passed.outputs.digest).toBe(run.outputs.digest);
    const refused = await promote(IDENTITY.replace('release.yml', 'other.yml'));
    expect(refused.jobs.promote?.result).toBe('failure');
    expect(refused.steps.find((s) => s.step === 'promote')?.error).toContain('identity');
  });

  it('releases each image of a monorepo on its own: two images, two platforms each', async () => {
    const names = [`${registry.host}/wiring/api`, `${registry.host}/wiring/web`];
    const mono = await runWorkflow(join(repoRoot, '.github/workflows/release.yml'), {
      ...releaseOptions,
      inputs: {
        ...releaseOptions.inputs,
        image: '',
        images: JSON.stringify(names.map((name) => ({ name }))),
        // the recorded report holds 3 critical findings: each gate breaks, warn lets the release go on
        'max-critical': '0',
        'gitops-files': '',
      },
    });
    expectClean(mono);
    expect(mono.jobs.build?.legs.length).toBe(4);
    expect(mono.jobs.deploy?.result).toBe('skipped');
    const releases = Object.values(
      JSON.parse(mono.outputs.releases ?? '{}') as Record<string, { name: string; digest: string; tags: string }>,
    );
    expect(releases.map((r) => r.name).sort()).toEqual(names);
    for (const r of releases) expect(r.tags.split('\n')).toContain(`${r.name}:1.2.0`);
    const signed = mono.steps.filter((s) => s.job === 'sign' && s.step === 'sign').map((s) => s.outputs.digest);
    expect(signed.sort()).toEqual(releases.map((r) => r.digest).sort());
    const scans = mono.steps.filter((s) => s.job === 'scan' && s.step === 'scan').map((s) => s.outputs.passed);
    expect(scans).toEqual(['false', 'false']);
    expect(mono.outputs['scan-passed']).toBe('false');
  });

  it('commits the new digest into the dev deployment files', () => {
    const deploy = run.steps.find((s) => s.job === 'deploy' && s.step === 'deploy');
    expect(deploy?.outputs.changed).toBe('true');
    const bare = join(work, 'git-server', 'octo-org', 'deploy.git');
    const file = git(bare, 'show', 'main:dev/deployment.yaml');
    expect(file).toContain(`image: ${IMAGE}:1.2.0@${run.outputs.digest}`);
  });
});

describe('promote.yml and cleanup.yml', () => {
  let source: string;
  let digest: string;

  beforeAll(async () => {
    // an image to promote: built and pushed with build-push, by the same runner
    const built = await runWorkflow(join(repoRoot, 'test/fixtures/workflows/build.yml'), {
      github,
      checkoutFrom: app,
      inputs: { image: `${registry.host}/wiring/promoted`, registry: registry.host, username: registry.user.username },
      secrets: { password: registry.user.password },
    });
    expectClean(built);
    source = built.outputs.image ?? '';
    digest = built.outputs.digest ?? '';
  }, 300_000);

  it('promote copies the digest to the environment tag and reports it', async () => {
    const run = await runWorkflow(join(repoRoot, '.github/workflows/promote.yml'), {
      github: { ...github, event_name: 'workflow_dispatch' },
      inputs: {
        image: source,
        environment: 'staging',
        targets: 'staging',
        'require-signature': false,
        registry: registry.host,
        username: registry.user.username,
      },
      secrets: { password: registry.user.password },
    });
    expectClean(run);
    expect(run.jobs.deploy?.result).toBe('skipped');
    expect(run.outputs.digest).toBe(digest);
    expect(JSON.parse(run.outputs.promoted ?? '[]')).toEqual([
      expect.objectContaining({ target: `${registry.host}/wiring/promoted:staging`, digest }),
    ]);
    expect(run.outputs['gitops-commit']).toBe('');
  });

  it('cleanup plans a dry run and names its plan', async () => {
    const run = await runWorkflow(join(repoRoot, '.github/workflows/cleanup.yml'), {
      github: { ...github, event_name: 'workflow_dispatch' },
      inputs: {
        repositories: `${registry.host}/wiring/promoted`,
        registry: registry.host,
        username: registry.user.username,
        'keep-last': '1',
        'older-than': '',
      },
      secrets: { password: registry.user.password },
    });
    expectClean(run);
    const step = run.steps.find((s) => s.step === 'cleanup');
    expect(step?.inputs['dry-run']).toBe('true');
    expect(existsSync(step?.outputs['plan-file'] ?? '')).toBe(true);
    expect(JSON.parse(run.outputs.deleted ?? 'null')).toEqual([]);
  });
});

describe('the runner of workflows finds broken wiring', () => {
  it('a step reading an output nobody produced, and a job output that maps to nothing', async () => {
    const run = await runWorkflow(join(repoRoot, 'test/fixtures/workflows/miswired.yml'), {
      github,
      checkoutFrom: app,
      inputs: { image: `${registry.host}/wiring/miswired` },
    });
    expect(run.misses).toEqual([
      'meta step tags: steps.meta.outputs.tag (known: version, tags, tag-names, labels, annotations, json, bake-file-tags, bake-file-labels, bake-file-annotations, bake-file, is-release)',
      'meta outputs: steps.meta.outputs.digest (known: version, tags, tag-names, labels, annotations, json, bake-file-tags, bake-file-labels, bake-file-annotations, bake-file, is-release)',
      'use step 1: needs.meta.outputs.tag (known: version, digest)',
    ]);
    expect(readFileSync(join(repoRoot, 'test/fixtures/workflows/miswired.yml'), 'utf8')).toContain('miswired');
  });
});
