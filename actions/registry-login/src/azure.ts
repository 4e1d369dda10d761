// Azure Container Registry, keyless: the GitHub OIDC token (audience api://AzureADTokenExchange)
// as a client assertion at the Entra token endpoint, then the Entra access token exchanged at
// the registry's /oauth2/exchange for an ACR refresh token, which docker uses as the password of
// the all-zero user (what `az acr login` does).
// Test/air-gapped knob: AZURE_AUTHORITY_HOST (the Azure Identity SDKs' own variable).
import { OperationError } from '#shared/errors.js';
import { registryBaseUrl } from '#shared/registries/hosts.js';
import { bodyExcerpt, type HttpClient, jsonBody } from './http.js';
import type { IdTokenSource } from './oidc.js';

export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';
const ARM_SCOPE = 'https://management.azure.com/.default';

/** An Entra (AADSTS...) or ACR error body in one line. */
export function azureErrorText(text: string): string {
  const body = jsonBody({ status: 0, headers: new Headers(), text }) as
    | {
        error?: string | { code?: string; message?: string };
        error_description?: string;
        errors?: Array<{ code?: string; message?: string }>;
      }
    | undefined;
  if (body?.errors?.length) return body.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  if (body && typeof body.error === 'object') return [body.error.code, body.error.message].filter(Boolean).join(': ');
  if (body && typeof body.error === 'string') {
    // Entra descriptions carry a trace id and timestamp on later lines; the first line says it.
    const description = body.error_description?.split(/\r?\n/)[0];
    return [body.error, description].filter(Boolean).join(': ');
  }
  return bodyExcerpt(text);
}

export interface AcrFederationOptions {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  idToken: IdTokenSource;
  registry: string;
  clientId: string;
  tenantId: string;
  mask: (secret: string) => void;
}

export async function acrRefreshTokenFromOidc(options: AcrFederationOptions): Promise<string> {
  const assertion = await options.idToken('api://AzureADTokenExchange');
  const authority = (options.env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const entraOperation = `getting an Entra token for client ${options.clientId} in tenant ${options.tenantId}`;
  const entra = await options.http.request(
    entraOperation,
    `${authority}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        client_id: options.clientId,
        scope: ARM_SCOPE,
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    },
  );
  const entraBody = jsonBody(entra) as { access_token?: unknown } | undefined;
  if (entra.status !== 200 || typeof entraBody?.access_token !== 'string') {
    const hint =
      entra.status === 400 || entra.status === 401
        ? ' (check the app registration has a federated credential for this repository and subject)'
        : '';
    throw new OperationError(entraOperation, `HTTP ${entra.status}: ${azureErrorText(entra.text)}${hint}`);
  }
  const accessToken = entraBody.access_token;
  options.mask(accessToken);

  const exchangeOperation = `exchanging the Entra token for an ACR refresh token at ${options.registry}`;
  const exchange = await options.http.request(
    exchangeOperation,
    `${registryBaseUrl(options.registry)}/oauth2/exchange`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'access_token',
        service: options.registry,
        tenant: options.tenantId,
        access_token: accessToken,
      }).toString(),
    },
  );
  const exchangeBody = jsonBody(exchange) as { refresh_token?: unknown } | undefined;
  if (exchange.status !== 200 || typeof exchangeBody?.refresh_token !== 'string') {
    const hint =
      exchange.status === 401 || exchange.status === 403
        ? ` (the identity needs a role on ${options.registry} such as AcrPush or AcrPull)`
        : '';
    throw new OperationError(exchangeOperation, `HTTP ${exchange.status}: ${azureErrorText(exchange.text)}${hint}`);
  }
  options.mask(exchangeBody.refresh_token);
  return exchangeBody.refresh_token;
}
