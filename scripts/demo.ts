// The whole life of an image, locally, from the reusable workflows themselves: release.yml and
// promote.yml (and cleanup.yml) are run job by job by the workflow runner of the tests
// (test/harness/workflow-runner.ts): every `with:` evaluated against what the earlier steps and
// jobs produced, each of our actions run as its bundle the way the GitHub runner runs it.
//   release.yml: meta (compute-tags from a repository tagged v1.2.0) -> build (one job per
//   platform, linux/amd64 and linux/arm64, buildah) -> merge (one index, its tags) -> scan
//   (trivy-scan gate, SARIF) -> sign (SBOM attestation, provenance, key-based signature) ->
//   deploy (gitops-update commits the digest into a local deployment repository)
//   promote.yml: the signed digest to production behind the signature gate, then its files
//   cleanup.yml: a retention dry run over earlier builds
// Then independent checks: skopeo reads the production digest, cosign verifies the signature
// (when installed), git shows the deployment repository's log. By default nothing leaves
// 127.0.0.1: a recorded real Trivy report and SBOM stand in for the scan, and the demo says so.
// With DEMO_ONLINE=1, Trivy and its database are downloaded as on a user's machine when
// github.com answers. Run with `npm run demo`.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGitHttp } from '../test/fakes/git-http.js';
import { repoRoot, runAction } from '../test/harness/run-action.js';
import { runWorkflow, type StepRecord, type WorkflowRun } from '../test/harness/workflow-runner.js';
import { stopProcess, which } from '../test/stack/processes.js';
import { startRegistry } from '../test/stack/registry.js';

const USER = 'demo';
const PASSWORD = `demo-${randomBytes(6).toString('hex')}`;
const GIT_TOKEN = `demo-git-${randomBytes(6).toString('hex')}`;
const fixtures = join(repoRoot, '../shared/fixtures');

function need(command: string, pkg: string): string {
  const path = which(command);
  if (!path) throw new Error(`${command} is not installed (Debian package ${pkg}); run: bash scripts/install-deps.sh`);
  return path;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Demo', '-c', 'user.email=demo@example.invalid', ...args], {
    cwd,
    encoding: 'utf8',
    // git's own notes (an empty repository cloned) stay out of the output; errors keep stderr
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** True when github.com answers within 3 s (Trivy's release archives live there). */
function online(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request('https://github.com/', { method: 'HEAD', timeout: 3000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function firstLine(value: string): string {
  const lines = value.split('\n');
  const head = lines[0] as string;
  return `${head.length > 110 ? `${head.slice(0, 110)}…` : head}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ''}`;
}

let lastJob = '';
function show(step: StepRecord): void {
  const leg = Object.values(step.matrix)
    .map((v) => (typeof v === 'object' && v ? ((v as { key?: string }).key ?? '') : String(v)))
    .filter((v) => v && !v.startsWith('ubuntu'))
    .join(', ');
  const job = `${step.job}${leg ? ` [${leg}]` : ''}`;
  if (job !== lastJob) say(`\n━━ job ${job}`);
  lastJob = job;
  const what = step.uses ? step.uses.replace(/^your-org\/container-image-actions\//, '').replace(/@.*$/, '') : 'run';
  const mark = step.outcome === 'success' ? '✓' : step.outcome === 'skipped' ? '·' : '✗';
  say(`  ${mark} ${step.step} (${what}${step.kind === 'stand-in' ? ', stand-in' : ''})`);
  if (step.outcome === 'failure') say(`      ${step.error}`);
  if (step.kind !== 'action') return;
  for (const [k, v] of Object.entries(step.outputs)) {
    if (v !== '' && !/config|pull-secret|bake-file|json|metadata/.test(k)) say(`      ${k}: ${firstLine(v)}`);
  }
}

function check(run: WorkflowRun, name: string): void {
  const failed = run.steps.filter((s) => s.outcome === 'failure');
  if (failed.length || run.misses.length) {
    throw new Error(
      `${name} did not go through: ${[...failed.map((s) => `${s.job}/${s.step}: ${s.error}`), ...run.misses].join('; ')}`,
    );
  }
}

async function main(): Promise<void> {
  const registryBin = need('docker-registry', 'docker-registry');
  const htpasswd = need('htpasswd', 'apache2-utils');
  const skopeo = need('skopeo', 'skopeo');
  need('buildah', 'buildah');
  need('git', 'git');
  need('jq', 'jq');

  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  const closers: Array<() => Promise<void>> = [];
  try {
    const auth = join(dir, 'htpasswd');
    writeFileSync(auth, execFileSync(htpasswd, ['-Bbn', USER, PASSWORD], { encoding: 'utf8' }));
    const registry = await startRegistry(registryBin, 'demo', join(dir, 'registry'), { kind: 'htpasswd', path: auth });
    closers.push(() => stopProcess(registry.process));
    const host = registry.endpoint.host;
    const image = `${host}/demo/app`;
    const production = `${host}/demo/app-production`;
    say(`registry: http://${host} (basic auth, user '${USER}')`);

    // the repository being released: FROM scratch with a static busybox, tagged v1.2.0
    const app = join(dir, 'app');
    mkdirSync(app);
    copyFileSync('/bin/busybox', join(app, 'busybox'));
    writeFileSync(
      join(app, 'Dockerfile'),
      'FROM scratch\nARG BUILD=release\nLABEL demo.build=$BUILD\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox", "echo", "hello from the demo"]\n',
    );
    git(app, 'init', '-q', '-b', 'main');
    git(app, 'add', '-A');
    git(app, 'commit', '-q', '-m', 'The app');
    git(app, 'tag', 'v1.2.0');
    const sha = git(app, 'rev-parse', 'HEAD');
    say(`repository: ${app} at ${sha.slice(0, 12)}, tag v1.2.0`);

    // the deployment repository, behind a local git server that wants a token
    const gitRoot = join(dir, 'git');
    const bare = join(gitRoot, 'demo', 'deploy.git');
    mkdirSync(bare, { recursive: true });
    git(bare, 'init', '-q', '--bare', '-b', 'main');
    const seed = join(dir, 'seed');
    git(dir, 'clone', '-q', bare, seed);
    for (const [env, ref] of [
      ['dev', image],
      ['prod', production],
    ] as const) {
      mkdirSync(join(seed, env));
      writeFileSync(
        join(seed, env, 'deployment.yaml'),
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${ref}:1.1.0\n`,
      );
    }
    git(seed, 'add', '-A');
    git(seed, 'commit', '-q', '-m', 'Deployments at 1.1.0');
    git(seed, 'push', '-q', 'origin', 'HEAD:main');
    const gitServer = await startGitHttp(gitRoot, GIT_TOKEN);
    closers.push(() => gitServer.close());
    say(`deployment repository: ${gitServer.url}/demo/deploy.git (dev/, prod/)`);

    // the signing key of this demo (key-based: keyless needs a Fulcio the demo does not have)
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(dir, 'cosign.pub'), publicKey);

    // Trivy: as on a user's machine when asked for and reachable, else recorded real reports
    const isOnline = process.env.DEMO_ONLINE === '1' && (await online());
    let trivyInputs: Record<string, string> = {};
    let seedToolCache: ((dir: string) => void) | undefined;
    const scanEnv: Record<string, string> = {};
    if (isOnline) {
      say('Trivy: downloaded from its GitHub release (checksum committed in trivy-scan), databases from mirror.gcr.io');
    } else {
      say(
        `\nOFFLINE${process.env.DEMO_ONLINE === '1' ? ' (github.com did not answer)' : ' (DEMO_ONLINE=1 downloads the real Trivy)'}: the scan uses a RECORDED real Trivy report\n` +
          '(shared/fixtures/trivy/FuelTime-1.json) and the SBOM a RECORDED real Trivy CycloneDX SBOM\n' +
          '(shared/fixtures/sbom/trivy-cyclonedx-1.6-nginx.json): the findings are not those of the demo image.\n' +
          "A stand-in takes Trivy's place in the runner's tool cache; the database is a small artifact with\n" +
          "Trivy's media types pushed to the demo registry. Everything else below is real.",
      );
      const { pushDb } = (await import('../test/shared/trivy/db-artifact.js')) as {
        pushDb: (h: string, r: string, t: string, k: 'db', s: number, seed: string, u: object) => Promise<unknown>;
      };
      await pushDb(host, 'demo/trivy-db', '2', 'db', 64 * 1024, 'demo', { username: USER, password: PASSWORD });
      const { DEFAULT_TRIVY_VERSION, TRIVY_CHECKSUMS } = (await import('../shared/src/trivy/checksums.js')) as {
        DEFAULT_TRIVY_VERSION: string;
        TRIVY_CHECKSUMS: Record<string, Record<string, string>>;
      };
      const archive = `trivy_${DEFAULT_TRIVY_VERSION}_Linux-${process.arch === 'arm64' ? 'ARM64' : '64bit'}.tar.gz`;
      const standIn = join(repoRoot, 'test/fixtures/workflows/stand-in-trivy.mjs');
      seedToolCache = (toolCache) => {
        const toolDir = join(toolCache, 'trivy', DEFAULT_TRIVY_VERSION, process.arch);
        mkdirSync(toolDir, { recursive: true });
        writeFileSync(join(toolDir, 'trivy'), `#!/bin/sh\nexec '${process.execPath}' '${standIn}' "$@"\n`, {
          mode: 0o755,
        });
        writeFileSync(join(toolDir, '.archive-sha256'), `${TRIVY_CHECKSUMS[DEFAULT_TRIVY_VERSION]?.[archive] ?? ''}\n`);
        writeFileSync(`${toolDir}.complete`, '');
      };
      trivyInputs = { 'trivy-db-repository': `${host}/demo/trivy-db:2`, 'trivy-java-db-repository': '' };
      scanEnv.STANDIN_TRIVY_REPORT = join(fixtures, 'trivy/FuelTime-1.json');
      scanEnv.STANDIN_TRIVY_SBOM = join(fixtures, 'sbom/trivy-cyclonedx-1.6-nginx.json');
    }

    const github = {
      repository: 'demo/app',
      repository_owner: 'demo',
      actor: 'demo',
      ref: 'refs/tags/v1.2.0',
      ref_name: 'v1.2.0',
      ref_type: 'tag',
      sha,
      event_name: 'push',
      workflow_ref: 'demo/app/.github/workflows/release.yml@refs/tags/v1.2.0',
      token: 'ghs_demo-token-not-used-by-a-local-registry',
      event: {
        ref: 'refs/tags/v1.2.0',
        after: sha,
        head_commit: { id: sha, timestamp: new Date().toISOString() },
        repository: { name: 'app', full_name: 'demo/app', default_branch: 'main' },
      },
    };

    // earlier builds of the branch, so that the cleanup at the end has something to decide about
    const dockerConfig = join(dir, 'docker-config');
    mkdirSync(dockerConfig);
    writeFileSync(
      join(dockerConfig, 'config.json'),
      JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }),
    );
    for (const old of ['sha-0a1b2c3', 'pr-7']) {
      const r = await runAction('build-push', {
        workspace: app,
        inputs: { builder: 'buildah', tags: `${image}:${old}`, 'build-args': `BUILD=${old}` },
        env: { DOCKER_CONFIG: dockerConfig },
      });
      if (r.code !== 0) throw new Error(`build-push of ${old} failed: ${r.errors.join('; ')}`);
    }
    say('earlier builds pushed: sha-0a1b2c3, pr-7');

    say('\n════ release.yml');
    const release = await runWorkflow(join(repoRoot, '.github/workflows/release.yml'), {
      github,
      checkoutFrom: app,
      inputs: {
        image,
        platforms: 'linux/amd64,linux/arm64',
        builder: 'buildah',
        registry: host,
        username: USER,
        'scan-policy': 'warn',
        'gitops-files': 'dev/*.yaml',
        'gitops-repository': 'demo/deploy',
        ...trivyInputs,
      },
      secrets: { password: PASSWORD, 'gitops-token': GIT_TOKEN, 'signing-key': privateKey },
      env: ({ job }) => ({
        ...(job === 'scan' ? scanEnv : {}),
        ...(job === 'deploy' ? { GITHUB_SERVER_URL: gitServer.url } : {}),
      }),
      toolCache: seedToolCache,
      onStep: show,
    });
    check(release, 'release.yml');
    say(
      `\nrelease outputs: digest ${release.outputs.digest}, version ${release.outputs.version}, scan-passed ${release.outputs['scan-passed']}`,
    );

    say('\n════ promote.yml (environment prod)');
    const promote = await runWorkflow(join(repoRoot, '.github/workflows/promote.yml'), {
      github: { ...github, event_name: 'workflow_dispatch' },
      inputs: {
        image: release.outputs.image ?? '',
        environment: 'prod',
        targets: `${production}:1.2.0\n${production}:stable`,
        'require-signature': true,
        'public-key': publicKey,
        registry: host,
        username: USER,
        'gitops-image': production,
        'gitops-tag': '1.2.0',
        'gitops-files': 'prod/*.yaml',
        'gitops-repository': 'demo/deploy',
        'gitops-mode': 'commit',
      },
      secrets: { password: PASSWORD, 'gitops-token': GIT_TOKEN },
      env: ({ job }) => (job === 'deploy' ? { GITHUB_SERVER_URL: gitServer.url } : {}),
      onStep: show,
    });
    check(promote, 'promote.yml');

    say('\n════ cleanup.yml (dry run)');
    const cleanup = await runWorkflow(join(repoRoot, '.github/workflows/cleanup.yml'), {
      github: { ...github, event_name: 'workflow_dispatch' },
      inputs: {
        repositories: image,
        registry: host,
        username: USER,
        'keep-last': '0',
        'older-than': '',
        'dry-run': true,
      },
      secrets: { password: PASSWORD },
      onStep: show,
    });
    check(cleanup, 'cleanup.yml');

    say('\n════ independent checks');
    const seen = JSON.parse(
      execFileSync(
        skopeo,
        ['inspect', '--raw', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, `docker://${production}:stable`],
        {
          encoding: 'utf8',
        },
      ),
    ) as { manifests?: Array<{ platform: { architecture: string } }> };
    const digest = execFileSync(
      skopeo,
      [
        'inspect',
        '--format',
        '{{.Digest}}',
        '--tls-verify=false',
        '--creds',
        `${USER}:${PASSWORD}`,
        `docker://${production}:stable`,
      ],
      { encoding: 'utf8' },
    ).trim();
    say(
      `skopeo: ${production}:stable is ${digest} (${(seen.manifests ?? []).map((m) => m.platform.architecture).join(', ')})`,
    );
    if (digest !== release.outputs.digest) throw new Error(`expected ${release.outputs.digest}`);

    const cosign = which('cosign') ?? [join(repoRoot, '.tools/sigstore/usr/bin/cosign')].find((p) => existsSync(p));
    if (cosign) {
      const out = execFileSync(
        cosign,
        [
          'verify',
          '--key',
          join(dir, 'cosign.pub'),
          '--insecure-ignore-tlog',
          '--allow-insecure-registry',
          '--allow-http-registry',
          `${production}@${digest}`,
        ],
        { encoding: 'utf8', env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      say(`cosign verify: ${JSON.parse(out).length} signature(s) of ${digest} verified with the demo's public key`);
    } else {
      say("cosign is not installed: the signature was verified by promote's gate only");
    }

    say('deployment repository:');
    for (const line of git(bare, 'log', '--format=%h %s', 'main').split('\n')) say(`  ${line}`);
    say(
      `  prod/deployment.yaml: ${git(bare, 'show', 'main:prod/deployment.yaml')
        .split('\n')
        .find((l) => l.includes('image:'))
        ?.trim()}`,
    );
    say('\nthe digest that was built, scanned and signed is the one in production and in the deployment files: done.');
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
