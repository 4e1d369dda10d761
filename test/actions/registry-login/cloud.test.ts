// Keyless and static cloud logins against local fakes of each documented API (Actions OIDC,
// AWS STS + ECR/ECR Public, Google STS + IAM Credentials, Entra + ACR exchange), with their
// error shapes, retries and masking.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ResolveContext, resolveLogins } from '../../../actions/registry-login/src/credentials.js';
import { createHttpClient } from '../../../actions/registry-login/src/http.js';
import { buildRequests, type RawRequest } from '../../../actions/registry-login/src/inputs.js';
import { type AcrFake, startAcrExchangeFake } from '../../fakes/acr-exchange.js';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import type { AwsKey } from '../../fakes/aws-sigv4-check.js';
import { type EcrFake, startEcrFake } from '../../fakes/aws-ecr.js';
import { type StsFake, startStsFake } from '../../fakes/aws-sts.js';
import { type EntraFake, startEntraFake } from '../../fakes/entra.js';
import { type GoogleIamFake, startGoogleIamCredentialsFake } from '../../fakes/google-iam-credentials.js';
import { type GoogleStsFake, startGoogleStsFake } from '../../fakes/google-sts.js';

const ROLE = 'arn:aws:iam::123456789012:role/github-ci';
const ECR_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const WIP = 'projects/123456/locations/global/workloadIdentityPools/github/providers/octo';
const SA = 'pusher@octo-project.iam.gserviceaccount.com';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const STATIC_KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYstaticKEY' };

let oidc: OidcFake;
let sts: StsFake;
let ecr: EcrFake;
let gsts: GoogleStsFake;
let iam: GoogleIamFake;
let entra: EntraFake;
let acr: AcrFake;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  oidc = await startOidcFake();
  const keys = new Map<string, AwsKey>([[STATIC_KEY.accessKeyId, { secretAccessKey: STATIC_KEY.secretAccessKey }]]);
  sts = await startStsFake({ roles: [ROLE], verifyToken: oidc.verify, issued: keys });
  ecr = await startEcrFake({ keys, account: '123456789012', allowedAccounts: ['123456789012', '210987654321'] });
  gsts = await startGoogleStsFake({ providers: [WIP], verifyToken: oidc.verify });
  iam = await startGoogleIamCredentialsFake({ federated: gsts.issued, serviceAccounts: [SA] });
  entra = await startEntraFake({ tenant: TENANT, clients: [CLIENT], verifyToken: oidc.verify });
  acr = await startAcrExchangeFake({ entraTokens: entra.issued, members: [`${TENANT}/${CLIENT}`] });
  env = {
    ...oidc.env,
    GITHUB_RUN_ID: '1658821493',
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_ECR: ecr.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: ecr.url,
    REGISTRY_LOGIN_GOOGLE_STS_URL: gsts.url,
    REGISTRY_LOGIN_GOOGLE_IAMCREDENTIALS_URL: iam.url,
    AZURE_AUTHORITY_HOST: entra.url,
  };
});

afterAll(async () => {
  await Promise.all([oidc, sts, ecr, gsts, iam, entra, acr].map((f) => f?.close()));
});

function context(extraEnv: NodeJS.ProcessEnv = {}) {
  const masked: string[] = [];
  const sleeps: number[] = [];
  const ctx: ResolveContext = {
    http: createHttpClient({ sleep: async (ms) => void sleeps.push(ms) }),
    env: { ...env, ...extraEnv },
    mask: (s) => masked.push(s),
  };
  return { ctx, masked, sleeps };
}

const request = (raw: RawRequest) => buildRequests(raw, undefined)[0]!;

describe('ECR', () => {
  it('assumes the role with the OIDC token and logs in to every account', async () => {
    const { ctx, masked } = context();
    const logins = await resolveLogins(
      request({ registry: ECR_HOST, 'aws-role-to-assume': ROLE, 'aws-account-ids': ['210987654321'] }),
      ctx,
    );
    expect(logins.map((l) => [l.registry, l.provider, l.username, l.password, l.method])).toEqual([
      [ECR_HOST, 'ecr', 'AWS', ecr.passwords.get('123456789012'), `OIDC → STS (${ROLE}) → ECR GetAuthorizationToken`],
      [
        '210987654321.dkr.ecr.eu-west-1.amazonaws.com',
        'ecr',
        'AWS',
        ecr.passwords.get('210987654321'),
        `OIDC → STS (${ROLE}) → ECR GetAuthorizationToken`,
      ],
    ]);
    const [issuedKey] = [...sts.issued.entries()].filter(([k]) => k.startsWith('ASIA')).slice(-1);
    // every secret met on the way was masked: the OIDC token, the STS secret and session token, both passwords
    expect(masked).toEqual(
      expect.arrayContaining([
        oidc.issued.at(-1),
        issuedKey![1].secretAccessKey,
        issuedKey![1].sessionToken,
        ecr.passwords.get('123456789012'),
        ecr.passwords.get('210987654321'),
      ]),
    );
    const stsForm = new URLSearchParams(sts.requests.at(-1)!.body);
    expect(stsForm.get('RoleSessionName')).toBe('registry-login-1658821493-1');
    expect(new URL(oidc.requests.at(-1)!.url, 'http://x').searchParams.get('audience')).toBe('sts.amazonaws.com');
  });

  it('signs with the AWS_* environment credentials', async () => {
    const { ctx } = context({
      AWS_ACCESS_KEY_ID: STATIC_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: STATIC_KEY.secretAccessKey,
    });
    const [login] = await resolveLogins(request({ registry: ECR_HOST }), ctx);
    expect(login!.password).toBe(ecr.passwords.get('123456789012'));
    expect(login!.method).toBe('AWS_* environment credentials → ECR GetAuthorizationToken');
  });

  it.each([
    [
      { registry: ECR_HOST, 'aws-role-to-assume': 'arn:aws:iam::123456789012:role/other' },
      {},
      `assuming arn:aws:iam::123456789012:role/other with STS AssumeRoleWithWebIdentity: HTTP 403: AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (check that the role's trust policy`,
    ],
    [
      { registry: ECR_HOST, username: STATIC_KEY.accessKeyId, password: 'wrong-secret-key' },
      {},
      'getting an ECR authorization token in eu-west-1 for accounts 123456789012: HTTP 403: InvalidSignatureException: The request signature we calculated does not match',
    ],
    [
      { registry: ECR_HOST, username: 'AKIAUNKNOWN', password: 'x' },
      {},
      'HTTP 400: UnrecognizedClientException: The security token included in the request is invalid.',
    ],
    [
      { registry: ECR_HOST, 'aws-role-to-assume': ROLE, 'aws-account-ids': ['999999999999'] },
      {},
      'HTTP 400: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci/session is not authorized to perform: ecr:GetAuthorizationToken',
    ],
    [
      { registry: ECR_HOST, 'aws-role-to-assume': ROLE },
      { ACTIONS_ID_TOKEN_REQUEST_URL: '' },
      "Input 'aws-role-to-assume': needs a GitHub OIDC token, but the job may not request one: add `permissions: id-token: write`",
    ],
    [{ registry: ECR_HOST }, {}, `Input 'aws-role-to-assume': no AWS credentials for ${ECR_HOST}`],
    [
      { registry: 'ecr.example', provider: 'ecr', 'aws-region': 'eu-west-1', 'aws-role-to-assume': ROLE },
      {},
      "Input 'aws-account-ids': is required when the registry (ecr.example) is not an ECR host",
    ],
    [
      { registry: 'ecr.example', provider: 'ecr' },
      {},
      "Input 'aws-region': is required: ecr.example does not name a region",
    ],
  ])('explains %j', async (raw, extra, message) => {
    const { ctx } = context(extra);
    await expect(resolveLogins(request(raw), ctx)).rejects.toThrow(message);
  });

  it('ECR Public: signs for ecr-public in us-east-1', async () => {
    const { ctx } = context();
    const [login] = await resolveLogins(
      request({ registry: 'public.ecr.aws', username: STATIC_KEY.accessKeyId, password: STATIC_KEY.secretAccessKey }),
      ctx,
    );
    expect([login!.registry, login!.provider, login!.username, login!.password]).toEqual([
      'public.ecr.aws',
      'ecr-public',
      'AWS',
      ecr.publicPassword,
    ]);
  });

  it('retries 429 (honouring Retry-After) and 503, and not 4xx', async () => {
    const { ctx, sleeps } = context();
    sts.inject({ status: 429, headers: { 'retry-after': '2' } }, { status: 503, body: 'busy' });
    const [login] = await resolveLogins(request({ registry: ECR_HOST, 'aws-role-to-assume': ROLE }), ctx);
    expect(login!.username).toBe('AWS');
    expect(sleeps).toEqual([2000, 1000]);
    const before = oidc.requests.length;
    const broken = context({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' });
    await expect(
      resolveLogins(request({ registry: ECR_HOST, 'aws-role-to-assume': ROLE }), broken.ctx),
    ).rejects.toThrow(
      'requesting a GitHub OIDC token for audience sts.amazonaws.com: HTTP 401: The user is not authorized to request an OIDC token',
    );
    expect(oidc.requests.length - before).toBe(1);
    expect(broken.sleeps).toEqual([]);
  });
});

describe('GAR', () => {
  it('exchanges at Google STS and impersonates the service account', async () => {
    const { ctx, masked } = context();
    const [login] = await resolveLogins(
      request({
        registry: 'europe-west1-docker.pkg.dev',
        'gcp-workload-identity-provider': WIP,
        'gcp-service-account': SA,
      }),
      ctx,
    );
    expect([login!.provider, login!.username, iam.issued.get(login!.password)]).toEqual([
      'gar',
      'oauth2accesstoken',
      SA,
    ]);
    expect(masked).toEqual(expect.arrayContaining([login!.password, [...gsts.issued.keys()].at(-1)]));
    expect(new URL(oidc.requests.at(-1)!.url, 'http://x').searchParams.get('audience')).toBe(
      `https://iam.googleapis.com/${WIP}`,
    );
  });

  it('uses the federated token directly without a service account', async () => {
    const { ctx } = context();
    const [login] = await resolveLogins(
      request({ registry: 'gcr.io', 'gcp-workload-identity-provider': `//iam.googleapis.com/${WIP}` }),
      ctx,
    );
    expect(gsts.issued.get(login!.password)).toBe(WIP);
  });

  it('uses a service-account JSON key as password with user _json_key', async () => {
    const key = JSON.stringify({
      type: 'service_account',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
      client_email: SA,
    });
    const { ctx } = context();
    const [login] = await resolveLogins(request({ registry: 'europe-west1-docker.pkg.dev', password: key }), ctx);
    expect([login!.username, login!.password, login!.method]).toEqual(['_json_key', key, 'service-account key']);
  });

  it.each([
    [
      { 'gcp-service-account': 'other@octo-project.iam.gserviceaccount.com' },
      `generating an access token for other@octo-project.iam.gserviceaccount.com with IAM Credentials: HTTP 403: PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied`,
    ],
    [
      { 'gcp-workload-identity-provider': WIP.replace('octo', 'gone') },
      'HTTP 400: invalid_target: The target service indicated by the "audience" parameters is invalid.',
    ],
  ])('explains %j', async (extra, message) => {
    const { ctx } = context();
    await expect(
      resolveLogins(
        request({
          registry: 'europe-west1-docker.pkg.dev',
          'gcp-workload-identity-provider': WIP,
          'gcp-service-account': SA,
          ...extra,
        }),
        ctx,
      ),
    ).rejects.toThrow(message);
  });
});

describe('ACR', () => {
  it('exchanges the OIDC token at Entra, then at the registry for a refresh token', async () => {
    const { ctx, masked } = context();
    const [login] = await resolveLogins(
      request({ registry: acr.service, provider: 'acr', 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT }),
      ctx,
    );
    expect(login!.username).toBe('00000000-0000-0000-0000-000000000000');
    expect(acr.issued.has(login!.password)).toBe(true);
    expect(masked).toEqual(expect.arrayContaining([login!.password, [...entra.issued.keys()].at(-1)]));
    expect(new URL(oidc.requests.at(-1)!.url, 'http://x').searchParams.get('audience')).toBe(
      'api://AzureADTokenExchange',
    );
  });

  it.each([
    [
      { 'azure-client-id': '99999999-2222-3333-4444-555555555555' },
      "HTTP 400: unauthorized_client: AADSTS700016: Application with identifier '99999999-2222-3333-4444-555555555555' was not found in the directory",
    ],
    [
      { 'azure-tenant-id': 'contoso.onmicrosoft.com' },
      "HTTP 400: invalid_request: AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found.",
    ],
    [{ 'azure-tenant-id': undefined }, "Input 'azure-tenant-id': is required for"],
  ])('explains %j', async (extra, message) => {
    const { ctx } = context();
    await expect(
      resolveLogins(
        request({
          registry: acr.service,
          provider: 'acr',
          'azure-client-id': CLIENT,
          'azure-tenant-id': TENANT,
          ...extra,
        }),
        ctx,
      ),
    ).rejects.toThrow(message);
  });

  it('explains a registry that refuses the identity', async () => {
    const other = await startAcrExchangeFake({ entraTokens: entra.issued, members: [] });
    try {
      const { ctx } = context();
      await expect(
        resolveLogins(
          request({ registry: other.service, provider: 'acr', 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT }),
          ctx,
        ),
      ).rejects.toThrow(
        `exchanging the Entra token for an ACR refresh token at ${other.service}: HTTP 403: DENIED: identity has no role assignment on the registry (the identity needs a role`,
      );
    } finally {
      await other.close();
    }
  });
});

describe('GHCR, Docker Hub, basic', () => {
  it('GHCR defaults to the workflow token and actor', async () => {
    const { ctx, masked } = context({ GITHUB_ACTOR: 'octocat' });
    ctx.githubToken = 'ghs_plantedWorkflowToken';
    const [login] = await resolveLogins(request({ registry: 'ghcr.io' }), ctx);
    expect([login!.username, login!.password, login!.method]).toEqual([
      'octocat',
      'ghs_plantedWorkflowToken',
      'GITHUB_TOKEN',
    ]);
    expect(masked).toContain('ghs_plantedWorkflowToken');
  });

  it.each([
    [{}, "Input 'username': is required to log in to docker.io"],
    [{ registry: 'quay.io', username: 'u' }, "Input 'password': is required to log in to quay.io"],
  ])('requires static credentials %j', async (raw, message) => {
    await expect(resolveLogins(request(raw), context().ctx)).rejects.toThrow(message);
  });
});
