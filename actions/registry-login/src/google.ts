// Google Artifact Registry / Container Registry: a service-account JSON key used directly
// (`_json_key`), or Workload Identity Federation: the GitHub OIDC token exchanged at Google STS,
// then (with a service account) IAM Credentials generateAccessToken. The registry user for an
// access token is `oauth2accesstoken`.
// Test/air-gapped knobs: REGISTRY_LOGIN_GOOGLE_STS_URL, REGISTRY_LOGIN_GOOGLE_IAMCREDENTIALS_URL.
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { bodyExcerpt, type HttpClient, jsonBody } from './http.js';
import type { IdTokenSource } from './oidc.js';

export const GOOGLE_ACCESS_TOKEN_USER = 'oauth2accesstoken';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

const PROVIDER_NAME = /^projects\/[^/]+\/locations\/global\/workloadIdentityPools\/[^/]+\/providers\/[^/]+$/;

/** Accepts the resource name, or it with an `//iam.googleapis.com/` or `https://iam.googleapis.com/` prefix. */
export function parseWorkloadIdentityProvider(text: string, input: string): string {
  const name = text.trim().replace(/^(https:)?\/\/iam\.googleapis\.com\//, '');
  if (!PROVIDER_NAME.test(name)) {
    throw new ConfigurationError(
      `'${text}' is not a workload identity provider (expected projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>)`,
      input,
    );
  }
  return name;
}

/** The username for a JSON key given as password: `_json_key` (or `_json_key_base64` for a base64 key). */
export function jsonKeyUsername(password: string): string | undefined {
  const looksLikeKey = (text: string) => {
    try {
      const key = JSON.parse(text) as { type?: unknown; private_key?: unknown };
      return key?.type === 'service_account' && typeof key.private_key === 'string';
    } catch {
      return false;
    }
  };
  if (looksLikeKey(password)) return '_json_key';
  if (/^[A-Za-z0-9+/=\s]+$/.test(password) && looksLikeKey(Buffer.from(password, 'base64').toString('utf8'))) {
    return '_json_key_base64';
  }
  return undefined;
}

/** A Google API error (`{error: {code, message, status}}` or OAuth's `{error, error_description}`) in one line. */
export function googleErrorText(text: string): string {
  const body = jsonBody({ status: 0, headers: new Headers(), text }) as
    | { error?: string | { message?: string; status?: string }; error_description?: string }
    | undefined;
  if (body && typeof body.error === 'object') return [body.error.status, body.error.message].filter(Boolean).join(': ');
  if (body && typeof body.error === 'string') return [body.error, body.error_description].filter(Boolean).join(': ');
  return bodyExcerpt(text);
}

function base(url: string | undefined, fallback: string): string {
  return (url || fallback).replace(/\/+$/, '');
}

export interface GoogleFederationOptions {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  idToken: IdTokenSource;
  workloadIdentityProvider: string;
  serviceAccount?: string;
  mask: (secret: string) => void;
}

/** Returns an access token for the registry (user `oauth2accesstoken`). */
export async function googleFederatedAccessToken(options: GoogleFederationOptions): Promise<string> {
  const provider = options.workloadIdentityProvider;
  const subjectToken = await options.idToken(`https://iam.googleapis.com/${provider}`);
  const stsOperation = `exchanging the GitHub OIDC token at Google STS for ${provider}`;
  const sts = await options.http.request(
    stsOperation,
    `${base(options.env.REGISTRY_LOGIN_GOOGLE_STS_URL, 'https://sts.googleapis.com')}/v1/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        audience: `//iam.googleapis.com/${provider}`,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        scope: CLOUD_PLATFORM,
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        subjectToken,
      }),
    },
  );
  const stsBody = jsonBody(sts) as { access_token?: unknown } | undefined;
  if (sts.status !== 200 || typeof stsBody?.access_token !== 'string') {
    const hint =
      sts.status === 400 || sts.status === 401 || sts.status === 403
        ? ' (check the provider name and its attribute condition for this repository)'
        : '';
    throw new OperationError(stsOperation, `HTTP ${sts.status}: ${googleErrorText(sts.text)}${hint}`);
  }
  const federated = stsBody.access_token;
  options.mask(federated);
  if (!options.serviceAccount) return federated;

  const account = options.serviceAccount;
  const iamOperation = `generating an access token for ${account} with IAM Credentials`;
  const iam = await options.http.request(
    iamOperation,
    `${base(options.env.REGISTRY_LOGIN_GOOGLE_IAMCREDENTIALS_URL, 'https://iamcredentials.googleapis.com')}/v1/projects/-/serviceAccounts/${encodeURIComponent(account)}:generateAccessToken`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${federated}` },
      body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: '3600s' }),
    },
  );
  const iamBody = jsonBody(iam) as { accessToken?: unknown } | undefined;
  if (iam.status !== 200 || typeof iamBody?.accessToken !== 'string') {
    const hint =
      iam.status === 403
        ? ` (the federated identity needs roles/iam.workloadIdentityUser on ${account})`
        : iam.status === 404
          ? ` (no service account ${account})`
          : '';
    throw new OperationError(iamOperation, `HTTP ${iam.status}: ${googleErrorText(iam.text)}${hint}`);
  }
  options.mask(iamBody.accessToken);
  return iamBody.accessToken;
}
