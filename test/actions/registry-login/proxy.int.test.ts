// registry-login's bundle on a runner behind a proxy: with HTTPS_PROXY set, the Actions OIDC
// token and every cloud exchange (AWS STS and ECR, Google STS and IAM Credentials, Entra and the
// ACR token service) go to their real host names through a CONNECT tunnel, TLS inside it (the
// fakes sit behind TLS with a test CA the bundle trusts through NODE_EXTRA_CA_CERTS); with
// NO_PROXY covering a host, that host is asked directly, and the proxy never sees it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AcrFake, startAcrExchangeFake } from '../../fakes/acr-exchange.js';
import { type OidcFake, startOidcFake } from '../../fakes/actions-oidc.js';
import type { AwsKey } from '../../fakes/aws-sigv4-check.js';
import { type EcrFake, startEcrFake } from '../../fakes/aws-ecr.js';
import { type StsFake, startStsFake } from '../../fakes/aws-sts.js';
import { type EntraFake, startEntraFake } from '../../fakes/entra.js';
import { type GoogleIamFake, startGoogleIamCredentialsFake } from '../../fakes/google-iam-credentials.js';
import { type GoogleStsFake, startGoogleStsFake } from '../../fakes/google-sts.js';
import {
  startTunnelProxy,
  type TestCertificates,
  testCertificates,
  type TunnelProxy,
  tlsFront,
} from '../../fakes/proxy.js';
import { runAction } from '../../harness/run-action.js';

const ROLE = 'arn:aws:iam::123456789012:role/github-ci';
const WIP = 'projects/123456/locations/global/workloadIdentityPools/github/providers/octo';
const SA = 'pusher@octo-project.iam.gserviceaccount.com';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const ACR = 'octo.azurecr.io';
const HOSTS = {
  oidc: 'pipelines.actions.githubusercontent.com',
  sts: 'sts.eu-west-1.amazonaws.com',
  ecr: 'api.ecr.eu-west-1.amazonaws.com',
  gsts: 'sts.googleapis.com',
  iam: 'iamcredentials.googleapis.com',
  entra: 'login.microsoftonline.com',
  acr: ACR,
};

describe('registry-login behind a proxy', () => {
  let certs: TestCertificates;
  let proxy: TunnelProxy;
  let oidc: OidcFake;
  let sts: StsFake;
  let ecr: EcrFake;
  let gsts: GoogleStsFake;
  let iam: GoogleIamFake;
  let entra: EntraFake;
  let acr: AcrFake;
  const closers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    certs = testCertificates(Object.values(HOSTS));
    oidc = await startOidcFake();
    const keys = new Map<string, AwsKey>();
    sts = await startStsFake({ roles: [ROLE], verifyToken: oidc.verify, issued: keys });
    ecr = await startEcrFake({ keys, account: '123456789012', allowedAccounts: ['123456789012'] });
    gsts = await startGoogleStsFake({ providers: [WIP], verifyToken: oidc.verify });
    iam = await startGoogleIamCredentialsFake({ federated: gsts.issued, serviceAccounts: [SA] });
    entra = await startEntraFake({ tenant: TENANT, clients: [CLIENT], verifyToken: oidc.verify });
    acr = await startAcrExchangeFake({ entraTokens: entra.issued, members: [`${TENANT}/${CLIENT}`], service: ACR });
    closers.push(oidc, sts, ecr, gsts, iam, entra, acr);
    const fakes = { oidc, sts, ecr, gsts, iam, entra, acr };
    const routes: Record<string, number> = {};
    for (const [key, host] of Object.entries(HOSTS)) {
      const front = await tlsFront(fakes[key as keyof typeof fakes].url, certs);
      closers.push(front);
      routes[`${host}:443`] = front.port;
    }
    proxy = await startTunnelProxy(routes);
    closers.push(proxy);
  }, 60_000);
  afterAll(async () => {
    for (const c of closers) await c.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    ACTIONS_ID_TOKEN_REQUEST_URL: `https://${HOSTS.oidc}/_apis/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    HTTPS_PROXY: proxy.url,
    NODE_EXTRA_CA_CERTS: certs.caFile,
    // the host names are real: a lookup outside the proxy must fail here, never reach the internet
    NODE_OPTIONS: `--import=${join(import.meta.dirname, '../../harness/loopback-only.mjs')}`,
    ...extra,
  });

  it('sends the OIDC request and every cloud exchange through the proxy, to their real hosts', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'login-proxy-')), 'docker');
    proxy.tunnels.length = 0;
    const registries = [
      { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'aws-role-to-assume': ROLE },
      { registry: 'europe-west1-docker.pkg.dev', 'gcp-workload-identity-provider': WIP, 'gcp-service-account': SA },
      { registry: ACR, 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT },
    ];
    const result = await runAction('registry-login', {
      post: false,
      env: env(),
      inputs: { registries: JSON.stringify(registries), verify: 'none', 'config-dir': dir },
    });
    expect(result.errors).toEqual([]);
    expect(result.code).toBe(0);
    const auths = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).auths as Record<string, unknown>;
    expect(Object.keys(auths).sort()).toEqual(
      ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'europe-west1-docker.pkg.dev', ACR].sort(),
    );
    // every exchange reached its fake with the real host name, through a tunnel to that host
    expect(new Set(proxy.tunnels)).toEqual(new Set(Object.values(HOSTS).map((h) => `${h}:443`)));
    for (const fake of [oidc, sts, ecr, gsts, iam, entra, acr]) expect(fake.requests.length).toBeGreaterThan(0);
    expect(sts.requests.at(-1)?.headers.host).toBe(HOSTS.sts);
    expect(acr.requests.at(-1)?.headers.host).toBe(ACR);
  }, 60_000);

  it('asks a host NO_PROXY covers directly: the proxy never sees it', async () => {
    proxy.tunnels.length = 0;
    const before = sts.requests.length;
    const result = await runAction('registry-login', {
      post: false,
      env: env({ NO_PROXY: 'localhost,.amazonaws.com' }),
      inputs: {
        registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'aws-role-to-assume': ROLE,
        verify: 'none',
        'config-dir': join(mkdtempSync(join(tmpdir(), 'login-proxy-')), 'docker'),
      },
    });
    expect(result.code).toBe(1);
    // the name exists only behind the proxy: asked directly, it is not found
    expect(result.errors).toEqual([
      `assuming ${ROLE} with STS AssumeRoleWithWebIdentity: ${HOSTS.sts} is unreachable (host name not found)`,
    ]);
    expect(proxy.tunnels).toEqual([`${HOSTS.oidc}:443`]);
    expect(sts.requests.length).toBe(before);
  }, 60_000);
});
