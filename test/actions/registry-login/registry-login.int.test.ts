// The bundled action against real registries (htpasswd and token auth), the real docker CLI and
// skopeo using what it wrote, the post step's exact restore, and the keyless cloud logins
// through the bundle against the local fakes, with planted secrets searched for everywhere.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunResult, runAction } from '../../harness/run-action.js';
import { type AcrFake, startAcrExchangeFake } from '../../fakes/acr-exchange.js';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import type { AwsKey } from '../../fakes/aws-sigv4-check.js';
import { type EcrFake, startEcrFake } from '../../fakes/aws-ecr.js';
import { type StsFake, startStsFake } from '../../fakes/aws-sts.js';
import { type EntraFake, startEntraFake } from '../../fakes/entra.js';
import { type GoogleIamFake, startGoogleIamCredentialsFake } from '../../fakes/google-iam-credentials.js';
import { type GoogleStsFake, startGoogleStsFake } from '../../fakes/google-sts.js';

const stack = inject('stack');
const ACTION = 'registry-login';

function configDir(initial?: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'login-config-')), 'docker');
  if (initial !== undefined) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), initial, { mode: 0o600 });
  }
  return dir;
}

/** Runs the post phase of an earlier main run, later (so other steps can run in between). */
function runPost(main: RunResult): Promise<RunResult> {
  return runAction(ACTION, { post: false, env: { STATE_isPost: 'true', STATE_login: main.state.login } });
}

/** Every file under the directories, recursively, with its content. */
function filesUnder(...dirs: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push([p, readFileSync(p, 'latin1')]);
    }
  };
  for (const d of dirs) walk(d);
  return out;
}

function expectNowhere(secrets: string[], result: RunResult, ...extra: RunResult[]): void {
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    for (const r of [result, ...extra]) {
      // `::add-mask::<secret>` is the masking command itself, consumed by the runner
      const visible = r.everything
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      expect(visible.includes(secret), 'a secret in the step output/state/summary').toBe(false);
      const leaked = filesUnder(r.dir).filter(
        ([, content]) => content.includes(secret) || content.includes(Buffer.from(secret).toString('base64')),
      );
      expect(leaked.map(([p]) => p)).toEqual([]);
    }
  }
}

const OTHER = `{
\t"auths": {
\t\t"unrelated.example": {
\t\t\t"auth": "dW5yZWxhdGVkOnBhc3M="
\t\t}
\t},
\t"detachKeys": "ctrl-e,e"
}`;

describe('registry-login against real registries', () => {
  it('htpasswd: verify push, docker and skopeo push and pull with the config, post restores byte for byte', async () => {
    const dir = configDir(OTHER);
    const { user } = stack.htpasswd;
    const main = await runAction(ACTION, {
      post: false,
      inputs: {
        registry: stack.htpasswd.host,
        username: user.username,
        password: user.password,
        verify: 'push',
        'verify-repository': 'login-test/app',
        'config-dir': dir,
      },
    });
    expect(main.errors).toEqual([]);
    expect(main.code).toBe(0);
    expect(JSON.parse(main.outputs.registries!)).toEqual([stack.htpasswd.host]);
    expect(main.outputs['docker-config']).toBe(dir);
    expect(main.masks).toContain(user.password);
    expect(main.summary).toContain('push on login-test/app');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toEqual({
      auths: {
        'unrelated.example': { auth: 'dW5yZWxhdGVkOnBhc3M=' },
        [stack.htpasswd.host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') },
      },
      detachKeys: 'ctrl-e,e',
    });
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    const pullSecret = JSON.parse(readFileSync(main.outputs['dockerconfigjson-file']!, 'utf8'));
    expect(pullSecret.auths[stack.htpasswd.host].username).toBe(user.username);

    const image = `${stack.htpasswd.host}/login-test/app:1`;
    if (stack.docker) pushAndPullWithDocker(dir, image);
    else pushWithSkopeo(dir, image);
    execFileSync(stack.skopeo, [
      'copy',
      '--authfile',
      join(dir, 'config.json'),
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${image}`,
      `docker://${stack.htpasswd.host}/login-test/app:skopeo`,
    ]);
    const inspected = JSON.parse(
      execFileSync(
        stack.skopeo,
        [
          'inspect',
          '--raw',
          '--authfile',
          join(dir, 'config.json'),
          '--tls-verify=false',
          `docker://${stack.htpasswd.host}/login-test/app:skopeo`,
        ],
        { encoding: 'utf8' },
      ),
    );
    expect(inspected.schemaVersion).toBe(2);

    const post = await runPost(main);
    expect(post.errors).toEqual([]);
    expect(post.code).toBe(0);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(OTHER);
    expect(existsSync(main.outputs['dockerconfigjson-file']!)).toBe(false);
    expectNowhere([user.password], main, post);
  }, 180_000);

  it('token auth: admin pushes with docker; a reader fails verify push naming the repository', async () => {
    const dir = configDir();
    const { admin, reader } = stack.token;
    const main = await runAction(ACTION, {
      post: false,
      inputs: {
        registry: stack.token.host,
        username: admin.username,
        password: admin.password,
        verify: 'push',
        'verify-repository': 'login-test/app',
        'config-dir': dir,
      },
    });
    expect(main.errors).toEqual([]);
    const image = `${stack.token.host}/login-test/app:1`;
    if (stack.docker) pushAndPullWithDocker(dir, image);
    else pushWithSkopeo(dir, image);
    const post = await runPost(main);
    expect(post.code).toBe(0);
    expect(existsSync(join(dir, 'config.json'))).toBe(false);

    const denied = await runAction(ACTION, {
      inputs: {
        registry: stack.token.host,
        username: reader.username,
        password: reader.password,
        verify: 'push',
        'verify-repository': 'team/app',
        'config-dir': dir,
      },
    });
    expect(denied.code).toBe(1);
    expect(denied.errors).toHaveLength(1);
    expect(denied.errors[0]).toContain(
      `user '${reader.username}' is authenticated but has no push permission on ${stack.token.host}/team/app`,
    );
    expect(existsSync(join(dir, 'config.json'))).toBe(false);

    const pull = await runAction(ACTION, {
      inputs: {
        registry: stack.token.host,
        username: reader.username,
        password: reader.password,
        verify: 'pull',
        'verify-repository': 'team/app',
        'config-dir': dir,
      },
    });
    expect(pull.errors).toEqual([]);
    expectNowhere([admin.password, reader.password], main, post, denied, pull);
  }, 180_000);

  it.each([
    ['htpasswd', () => stack.htpasswd.host, 'wrong credentials: the registry refused user'],
    ['token', () => stack.token.host, 'wrong credentials: the token server'],
  ])('%s: a wrong password exits 1 with a clear message and writes nothing', async (_name, host, message) => {
    const dir = configDir(OTHER);
    const wrong = 'Wr0ng-planted-password-71';
    const result = await runAction(ACTION, {
      inputs: { registry: host(), username: 'admin', password: wrong, 'config-dir': dir },
    });
    expect(result.code).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain(`logging in to ${host()}: ${message}`);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(OTHER);
    expectNowhere([wrong], result);
  });

  it('replacing an existing entry: post puts the old one back exactly; logout false keeps the login', async () => {
    const { user } = stack.htpasswd;
    const before = `{"auths":{"${stack.htpasswd.host}":{"auth":"b2xkOm9sZA=="}},"credHelpers":{"unrelated.example":"none"}}\n`;
    const dir = configDir(before);
    const result = await runAction(ACTION, {
      inputs: { registry: stack.htpasswd.host, username: user.username, password: user.password, 'config-dir': dir },
    });
    expect(result.errors).toEqual([]);
    expect(result.post?.code).toBe(0);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(before);

    const kept = await runAction(ACTION, {
      inputs: {
        registry: stack.htpasswd.host,
        username: user.username,
        password: user.password,
        'config-dir': dir,
        logout: false,
      },
    });
    expect(kept.post?.code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).auths[stack.htpasswd.host].auth).toBe(
      Buffer.from(`${user.username}:${user.password}`).toString('base64'),
    );
  });
});

function dockerEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_CONFIG: dir, DOCKER_HOST: stack.docker!.host, DOCKER_BUILDKIT: '0' };
}

function pushAndPullWithDocker(dir: string, image: string): void {
  const env = dockerEnv(dir);
  const context = mkdtempSync(join(tmpdir(), 'login-image-'));
  copyFileSync(stack.busybox, join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    `FROM scratch\nCOPY busybox /bin/busybox\nCMD ["/bin/busybox", "true"]\nLABEL test=${Date.now()}\n`,
  );
  execFileSync('docker', ['build', '--network', 'host', '-q', '-t', image, context], { env });
  execFileSync('docker', ['push', image], { env });
  execFileSync('docker', ['rmi', image], { env });
  execFileSync('docker', ['pull', image], { env });
  execFileSync('docker', ['rmi', image], { env });
}

function pushWithSkopeo(dir: string, image: string): void {
  const layout = mkdtempSync(join(tmpdir(), 'login-oci-'));
  // an empty OCI image, only to have something to push without docker
  const empty = Buffer.from('{}');
  const digest = `sha256:${createHash('sha256').update(empty).digest('hex')}`;
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), empty);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: 2 },
      layers: [],
    }),
  );
  const md = createHash('sha256').update(manifest).digest('hex');
  writeFileSync(join(layout, 'blobs', 'sha256', md), manifest);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${md}`, size: manifest.length },
      ],
    }),
  );
  execFileSync(stack.skopeo, [
    'copy',
    '--authfile',
    join(dir, 'config.json'),
    '--dest-tls-verify=false',
    `oci:${layout}`,
    `docker://${image}`,
  ]);
}

describe('registry-login keyless through the bundle, against the cloud fakes', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/github-ci';
  const WIP = 'projects/123456/locations/global/workloadIdentityPools/github/providers/octo';
  const SA = 'pusher@octo-project.iam.gserviceaccount.com';
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const CLIENT = '11111111-2222-3333-4444-555555555555';
  let oidc: OidcFake;
  let sts: StsFake;
  let ecr: EcrFake;
  let gsts: GoogleStsFake;
  let iam: GoogleIamFake;
  let entra: EntraFake;
  let acr: AcrFake;
  let env: Record<string, string>;

  beforeAll(async () => {
    oidc = await startOidcFake();
    const keys = new Map<string, AwsKey>();
    sts = await startStsFake({ roles: [ROLE], verifyToken: oidc.verify, issued: keys });
    ecr = await startEcrFake({ keys, account: '123456789012', allowedAccounts: ['123456789012', '210987654321'] });
    gsts = await startGoogleStsFake({ providers: [WIP], verifyToken: oidc.verify });
    iam = await startGoogleIamCredentialsFake({ federated: gsts.issued, serviceAccounts: [SA] });
    entra = await startEntraFake({ tenant: TENANT, clients: [CLIENT], verifyToken: oidc.verify });
    acr = await startAcrExchangeFake({ entraTokens: entra.issued, members: [`${TENANT}/${CLIENT}`] });
    env = {
      ...oidc.env,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_ECR: ecr.url,
      REGISTRY_LOGIN_GOOGLE_STS_URL: gsts.url,
      REGISTRY_LOGIN_GOOGLE_IAMCREDENTIALS_URL: iam.url,
      AZURE_AUTHORITY_HOST: entra.url,
    };
  });
  afterAll(async () => {
    await Promise.all([oidc, sts, ecr, gsts, iam, entra, acr].map((f) => f?.close()));
  });

  it('ECR (two accounts), GAR, ACR and GHCR in one step; no planted or exchanged secret leaks', async () => {
    const dir = configDir(OTHER);
    const ghcrPassword = 'ghp_plantedGhcrPassword0123456789';
    const registries = [
      {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'aws-role-to-assume': ROLE,
        'aws-account-ids': ['210987654321'],
      },
      { registry: 'europe-west1-docker.pkg.dev', 'gcp-workload-identity-provider': WIP, 'gcp-service-account': SA },
      { registry: acr.service, provider: 'acr', 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT },
      { registry: 'ghcr.io', username: 'octocat', password: ghcrPassword },
    ];
    const result = await runAction(ACTION, {
      post: false,
      env,
      inputs: { registries: JSON.stringify(registries), verify: 'none', 'config-dir': dir },
    });
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs.registries!)).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
      'europe-west1-docker.pkg.dev',
      acr.service,
      'ghcr.io',
    ]);
    const auths = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).auths as Record<string, { auth: string }>;
    const decoded = Object.fromEntries(
      Object.entries(auths).map(([k, v]) => [k, Buffer.from(v.auth, 'base64').toString('utf8')]),
    );
    const garToken = [...iam.issued.keys()].at(-1)!;
    const acrToken = [...acr.issued].at(-1)!;
    expect(decoded).toEqual({
      'unrelated.example': 'unrelated:pass',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com': `AWS:${ecr.passwords.get('123456789012')}`,
      '210987654321.dkr.ecr.eu-west-1.amazonaws.com': `AWS:${ecr.passwords.get('210987654321')}`,
      'europe-west1-docker.pkg.dev': `oauth2accesstoken:${garToken}`,
      [acr.service]: `00000000-0000-0000-0000-000000000000:${acrToken}`,
      'ghcr.io': `octocat:${ghcrPassword}`,
    });
    const stsKey = [...sts.issued.values()].at(-1)!;
    const secrets = [
      ghcrPassword,
      ecr.passwords.get('123456789012')!,
      ecr.passwords.get('210987654321')!,
      garToken,
      [...gsts.issued.keys()].at(-1)!,
      [...entra.issued.keys()].at(-1)!,
      acrToken,
      stsKey.secretAccessKey,
      stsKey.sessionToken!,
      ...oidc.issued,
    ];
    for (const s of secrets) expect(result.masks).toContain(s);
    expect(result.summary).toContain('OIDC → Entra → ACR exchange');
    const post = await runPost(result);
    expect(post.code).toBe(0);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(OTHER);
    expectNowhere(secrets, result, post);
  });

  it('explains an untrusted role in one line, without the token', async () => {
    const result = await runAction(ACTION, {
      env,
      inputs: {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'aws-role-to-assume': 'arn:aws:iam::123456789012:role/nope',
        verify: 'none',
        'config-dir': configDir(),
      },
    });
    expect(result.code).toBe(1);
    expect(result.errors).toEqual([
      "assuming arn:aws:iam::123456789012:role/nope with STS AssumeRoleWithWebIdentity: HTTP 403: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (check that the role's trust policy trusts token.actions.githubusercontent.com with audience sts.amazonaws.com and this repository's subject)",
    ]);
    expectNowhere(oidc.issued.slice(-1), result);
  });
});
