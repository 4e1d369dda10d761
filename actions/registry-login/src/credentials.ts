// Turns one registry request into the username/password pairs docker will use: static secrets
// as given, or keyless exchanges (GitHub OIDC → AWS STS → ECR, → Google STS → IAM Credentials,
// → Entra → ACR). Every secret that appears is masked before anything else happens.
import { ECR_PUBLIC_HOST, parseEcrHost, type Provider } from '#shared/registries/hosts.js';
import {
  type AwsCredentials,
  assumeRoleWithWebIdentity,
  ecrGetAuthorizationToken,
  ecrPublicGetAuthorizationToken,
  environmentCredentials,
  roleSessionName,
  webIdentityTokenFromFile,
} from './aws.js';
import { ACR_REFRESH_TOKEN_USER, acrRefreshTokenFromOidc } from './azure.js';
import { GOOGLE_ACCESS_TOKEN_USER, googleFederatedAccessToken, jsonKeyUsername } from './google.js';
import type { HttpClient } from './http.js';
import { fieldError, type RegistryRequest } from './inputs.js';
import { githubIdTokenSource } from './oidc.js';

export interface ResolvedLogin {
  registry: string;
  provider: Provider;
  username: string;
  password: string;
  /** how the credential was obtained, for logs and the summary (no secret) */
  method: string;
}

export interface ResolveContext {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  mask: (secret: string) => void;
  /** default GHCR password (the workflow's GITHUB_TOKEN) */
  githubToken?: string;
  now?: () => Date;
}

function requireStatic(request: RegistryRequest, what: string): { username: string; password: string } {
  if (!request.username)
    throw fieldError(request, 'username', `is required to log in to ${request.registry} (${what})`);
  if (!request.password)
    throw fieldError(request, 'password', `is required to log in to ${request.registry} (${what})`);
  return { username: request.username, password: request.password };
}

function idTokenFor(request: RegistryRequest, context: ResolveContext, input: string) {
  return githubIdTokenSource({
    http: context.http,
    env: context.env,
    mask: context.mask,
    input: request.entry === undefined ? input : 'registries',
  });
}

async function awsCredentials(
  request: RegistryRequest,
  region: string,
  context: ResolveContext,
): Promise<{ credentials: AwsCredentials; method: string }> {
  if (request.username && request.password) {
    return { credentials: { accessKeyId: request.username, secretAccessKey: request.password }, method: 'access key' };
  }
  if (request.username || request.password) {
    const missing = request.username ? 'password' : 'username';
    throw fieldError(
      request,
      missing,
      'is required too: for ECR, username and password are an AWS access key ID and secret access key',
    );
  }
  if (request.aws.roleToAssume) {
    const token = await idTokenFor(request, context, 'aws-role-to-assume')('sts.amazonaws.com');
    const credentials = await assumeRoleWithWebIdentity({
      http: context.http,
      env: context.env,
      region,
      roleArn: request.aws.roleToAssume,
      webIdentityToken: token,
      sessionName: roleSessionName(context.env),
      mask: context.mask,
    });
    return { credentials, method: `OIDC → STS (${request.aws.roleToAssume})` };
  }
  const fromEnv = environmentCredentials(context.env);
  if (fromEnv) {
    context.mask(fromEnv.secretAccessKey);
    if (fromEnv.sessionToken) context.mask(fromEnv.sessionToken);
    return { credentials: fromEnv, method: 'AWS_* environment credentials' };
  }
  const fileToken = await webIdentityTokenFromFile(context.env);
  if (fileToken) {
    context.mask(fileToken.token);
    const credentials = await assumeRoleWithWebIdentity({
      http: context.http,
      env: context.env,
      region,
      roleArn: fileToken.roleArn,
      webIdentityToken: fileToken.token,
      sessionName: roleSessionName(context.env),
      mask: context.mask,
    });
    return { credentials, method: `web identity token file → STS (${fileToken.roleArn})` };
  }
  throw fieldError(
    request,
    'aws-role-to-assume',
    `no AWS credentials for ${request.registry}: give a role ARN to assume with the GitHub OIDC token (job permission id-token: write), set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give them as username and password`,
  );
}

async function resolveEcr(request: RegistryRequest, context: ResolveContext): Promise<ResolvedLogin[]> {
  const host = parseEcrHost(request.registry);
  const region = request.aws.region ?? host?.region ?? context.env.AWS_REGION ?? context.env.AWS_DEFAULT_REGION;
  if (!region) {
    throw fieldError(
      request,
      'aws-region',
      `is required: ${request.registry} does not name a region and AWS_REGION is not set`,
    );
  }
  const accounts = [...new Set([...(host ? [host.accountId] : []), ...request.aws.accountIds])];
  if (accounts.length === 0) {
    throw fieldError(
      request,
      'aws-account-ids',
      `is required when the registry (${request.registry}) is not an ECR host <account>.dkr.ecr.<region>.amazonaws.com`,
    );
  }
  const { credentials, method } = await awsCredentials(request, region, context);
  const tokens = await ecrGetAuthorizationToken({
    http: context.http,
    env: context.env,
    credentials,
    region,
    fips: host?.fips,
    registryIds: accounts,
    mask: context.mask,
    now: context.now,
  });
  return tokens.map((t) => ({
    registry: host && t.registry.startsWith(`${host.accountId}.`) ? request.registry : t.registry,
    provider: 'ecr' as const,
    username: t.username,
    password: t.password,
    method: `${method} → ECR GetAuthorizationToken`,
  }));
}

async function resolveEcrPublic(request: RegistryRequest, context: ResolveContext): Promise<ResolvedLogin[]> {
  const { credentials, method } = await awsCredentials(request, 'us-east-1', context);
  const token = await ecrPublicGetAuthorizationToken({
    http: context.http,
    env: context.env,
    credentials,
    mask: context.mask,
    now: context.now,
  });
  const registry = request.registry === 'docker.io' ? ECR_PUBLIC_HOST : request.registry;
  return [
    {
      registry,
      provider: 'ecr-public',
      username: token.username,
      password: token.password,
      method: `${method} → ECR Public GetAuthorizationToken`,
    },
  ];
}

async function resolveGar(request: RegistryRequest, context: ResolveContext): Promise<ResolvedLogin[]> {
  if (request.password) {
    const keyUser = jsonKeyUsername(request.password);
    const username = request.username ?? keyUser;
    if (!username) {
      throw fieldError(
        request,
        'username',
        `is required for ${request.registry} unless the password is a service-account JSON key (then it is _json_key)`,
      );
    }
    return [
      {
        registry: request.registry,
        provider: 'gar',
        username,
        password: request.password,
        method: keyUser ? 'service-account key' : 'static',
      },
    ];
  }
  if (!request.gcp.workloadIdentityProvider) {
    throw fieldError(
      request,
      'gcp-workload-identity-provider',
      `is required for ${request.registry} when no password (service-account JSON key) is given`,
    );
  }
  const token = await googleFederatedAccessToken({
    http: context.http,
    env: context.env,
    idToken: idTokenFor(request, context, 'gcp-workload-identity-provider'),
    workloadIdentityProvider: request.gcp.workloadIdentityProvider,
    serviceAccount: request.gcp.serviceAccount,
    mask: context.mask,
  });
  const via = request.gcp.serviceAccount
    ? `OIDC → Google STS → IAM Credentials (${request.gcp.serviceAccount})`
    : 'OIDC → Google STS';
  return [
    { registry: request.registry, provider: 'gar', username: GOOGLE_ACCESS_TOKEN_USER, password: token, method: via },
  ];
}

async function resolveAcr(request: RegistryRequest, context: ResolveContext): Promise<ResolvedLogin[]> {
  if (request.password) {
    const { username, password } = requireStatic(request, 'service principal client ID, or a token name');
    return [{ registry: request.registry, provider: 'acr', username, password, method: 'static' }];
  }
  const { clientId, tenantId } = request.azure;
  if (!clientId || !tenantId) {
    throw fieldError(
      request,
      clientId ? 'azure-tenant-id' : 'azure-client-id',
      `is required for ${request.registry} when no password is given (keyless login needs azure-client-id and azure-tenant-id)`,
    );
  }
  const token = await acrRefreshTokenFromOidc({
    http: context.http,
    env: context.env,
    idToken: idTokenFor(request, context, 'azure-client-id'),
    registry: request.registry,
    clientId,
    tenantId,
    mask: context.mask,
  });
  return [
    {
      registry: request.registry,
      provider: 'acr',
      username: ACR_REFRESH_TOKEN_USER,
      password: token,
      method: 'OIDC → Entra → ACR exchange',
    },
  ];
}

export async function resolveLogins(request: RegistryRequest, context: ResolveContext): Promise<ResolvedLogin[]> {
  if (request.password) context.mask(request.password);
  switch (request.provider) {
    case 'ecr':
      return resolveEcr(request, context);
    case 'ecr-public':
      return resolveEcrPublic(request, context);
    case 'gar':
      return resolveGar(request, context);
    case 'acr':
      return resolveAcr(request, context);
    case 'ghcr': {
      const password = request.password ?? context.githubToken;
      if (!password)
        throw fieldError(
          request,
          'password',
          `is required for ${request.registry} (a token with packages scope; the default is the workflow's GITHUB_TOKEN, which was empty)`,
        );
      context.mask(password);
      const username = request.username ?? context.env.GITHUB_ACTOR ?? 'github-actions';
      return [
        {
          registry: request.registry,
          provider: 'ghcr',
          username,
          password,
          method: request.password ? 'static' : 'GITHUB_TOKEN',
        },
      ];
    }
    case 'dockerhub': {
      const { username, password } = requireStatic(request, 'a Docker Hub user and access token');
      return [{ registry: request.registry, provider: 'dockerhub', username, password, method: 'static' }];
    }
    case 'basic': {
      const { username, password } = requireStatic(request, 'basic credentials');
      return [{ registry: request.registry, provider: 'basic', username, password, method: 'static' }];
    }
  }
}
