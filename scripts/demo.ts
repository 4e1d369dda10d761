// The release pipeline, locally: a throwaway registry with basic auth on 127.0.0.1, a git
// repository tagged v1.2.0, and the bundled actions run one after the other exactly as the
// GitHub runner runs them (INPUT_* variables, output/state/summary files, post step), each
// consuming the outputs of the one before:
//   registry-login -> compute-tags (reads the released tags) -> build-push -> promote (staging -> production, same digest)
//   -> retention-cleanup (dry run) -> registry-login post step (logout)
// Then skopeo checks independently that the production tag is the built digest. Everything it
// starts and writes is removed at the end. Run with `npm run demo`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunOptions, type RunResult, runAction } from '../test/harness/run-action.js';
import { stopProcess, which } from '../test/stack/processes.js';
import { startRegistry } from '../test/stack/registry.js';

const USER = 'demo';
const PASSWORD = `demo-${Math.random().toString(36).slice(2, 12)}`;

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
  }).trim();
}

/** One step: runs the bundle, shows its log lines (not the debug ones) and stops the demo on failure. */
async function step(title: string, name: string, options: RunOptions): Promise<RunResult> {
  say(`\n━━ ${title} (${name})`);
  const r = await runAction(name, { ...options, timeoutMs: 300_000 });
  for (const line of r.stdout.split('\n')) {
    if (!line || line.startsWith('::debug::') || line.startsWith('::add-mask::')) continue;
    if (line.startsWith('::group::')) say(`  ▸ ${line.slice(9)}`);
    else if (line.startsWith('::endgroup::')) continue;
    else say(`    ${line}`);
  }
  if (r.code !== 0) {
    say(r.stderr);
    throw new Error(`${name} failed (exit ${r.code}): ${r.errors.join('; ')}`);
  }
  return r;
}

function showOutputs(r: RunResult, names: string[]): void {
  for (const n of names) {
    const value = r.outputs[n] ?? '';
    const lines = value.split('\n');
    say(`  output ${n}: ${lines[0]}${lines.length > 1 ? ` (+${lines.length - 1} lines)` : ''}`);
  }
}

async function main(): Promise<void> {
  const registryBin = need('docker-registry', 'docker-registry');
  const htpasswd = need('htpasswd', 'apache2-utils');
  const skopeo = need('skopeo', 'skopeo');
  need('buildah', 'buildah');
  need('git', 'git');

  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;
  try {
    // the registry: distribution with htpasswd auth, deletes enabled, on a free 127.0.0.1 port
    const auth = join(dir, 'htpasswd');
    writeFileSync(auth, execFileSync(htpasswd, ['-Bbn', USER, PASSWORD], { encoding: 'utf8' }));
    registry = await startRegistry(registryBin, 'demo', join(dir, 'registry'), { kind: 'htpasswd', path: auth });
    const host = registry.endpoint.host;
    say(`registry: http://${host} (basic auth, user '${USER}')`);

    // the repository being released: a FROM scratch image with a static busybox, tagged v1.2.0
    const repo = join(dir, 'app');
    mkdirSync(repo);
    copyFileSync('/bin/busybox', join(repo, 'busybox'));
    writeFileSync(
      join(repo, 'Dockerfile'),
      'FROM scratch\nARG BUILD=release\nLABEL demo.build=$BUILD\nCOPY busybox /bin/busybox\nENTRYPOINT ["/bin/busybox", "echo", "hello from the demo"]\n',
    );
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'The app');
    git(repo, 'tag', 'v1.2.0');
    const sha = git(repo, 'rev-parse', 'HEAD');
    say(`repository: ${repo} at ${sha.slice(0, 12)}, tag v1.2.0`);

    // what the runner shares between the steps of one job
    const docker = join(dir, 'docker-config');
    const job: RunOptions = {
      workspace: repo,
      eventName: 'push',
      event: {
        ref: 'refs/tags/v1.2.0',
        after: sha,
        head_commit: { id: sha, timestamp: new Date().toISOString() },
        repository: {
          name: 'app',
          full_name: 'demo/app',
          html_url: 'https://github.com/demo/app',
          default_branch: 'main',
        },
      },
      env: {
        GITHUB_REF: 'refs/tags/v1.2.0',
        GITHUB_REF_NAME: 'v1.2.0',
        GITHUB_REF_TYPE: 'tag',
        GITHUB_SHA: sha,
        GITHUB_REPOSITORY: 'demo/app',
        GITHUB_REPOSITORY_OWNER: 'demo',
        DOCKER_CONFIG: docker,
      },
    };
    const staging = `${host}/demo/app`;
    const production = `${host}/demo/app-production`;

    const login = await step('Log in to the registry', 'registry-login', {
      ...job,
      post: false,
      inputs: {
        registry: host,
        username: USER,
        password: PASSWORD,
        verify: 'push',
        'verify-repository': 'demo/app',
      },
    });
    showOutputs(login, ['registries', 'docker-config']);

    const meta = await step('Compute the tags from the git context', 'compute-tags', {
      ...job,
      inputs: { images: staging },
    });
    showOutputs(meta, ['tags', 'labels', 'version']);

    // earlier builds of the branch, so that the cleanup below has something to decide about
    say('\n━━ (earlier builds: sha-0a1b2c3, sha-4d5e6f7, pr-7, each its own digest)');
    for (const old of ['sha-0a1b2c3', 'sha-4d5e6f7', 'pr-7']) {
      const r = await runAction('build-push', {
        ...job,
        inputs: { builder: 'buildah', tags: `${staging}:${old}`, 'build-args': `BUILD=${old}` },
      });
      if (r.code !== 0) throw new Error(`build-push of ${old} failed: ${r.errors.join('; ')}`);
    }

    const build = await step('Build with buildah and push', 'build-push', {
      ...job,
      inputs: {
        builder: 'buildah',
        tags: meta.outputs.tags ?? '',
        labels: meta.outputs.labels ?? '',
        annotations: meta.outputs.annotations ?? '',
      },
    });
    showOutputs(build, ['digest', 'image', 'sizes']);

    const promoted = await step('Promote the built digest to production', 'promote', {
      ...job,
      inputs: { source: build.outputs.image ?? '', targets: `${production}:1.2.0\n${production}:stable` },
    });
    showOutputs(promoted, ['digest', 'promoted', 'bytes-copied']);

    const cleanup = await step('Plan a cleanup of the staging repository (dry run)', 'retention-cleanup', {
      ...job,
      inputs: { repositories: staging, 'keep-last': '1', 'dry-run': 'true' },
    });
    showOutputs(cleanup, ['deleted', 'kept', 'reclaimed-bytes']);

    await step('Log out (the post step of registry-login)', 'registry-login', {
      ...job,
      post: false,
      env: { ...job.env, STATE_isPost: 'true', STATE_login: login.state.login ?? '' },
    });

    // an independent check: skopeo reads the production tag with its own client
    const digest = execFileSync(
      skopeo,
      ['inspect', '--no-tags', '--tls-verify=false', '--creds', `${USER}:${PASSWORD}`, `docker://${production}:stable`],
      { encoding: 'utf8' },
    );
    const seen = (JSON.parse(digest) as { Digest: string }).Digest;
    say(`\nskopeo sees ${production}:stable at ${seen}`);
    if (seen !== build.outputs.digest) throw new Error(`expected ${build.outputs.digest}`);
    say('the production tag is the digest that was built and tested: done.');
  } finally {
    if (registry) await stopProcess(registry.process);
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
