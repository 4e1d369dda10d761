// Fake of the Microsoft Entra v2.0 token endpoint `POST /<tenant>/oauth2/v2.0/token` with a
// federated client assertion (client_credentials grant); errors `{"error", "error_description":
// "AADSTS...", "error_codes", "trace_id", "correlation_id"}` as Entra sends them.
import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeServer, formOf, json, startFake } from './server.js';

export interface EntraFake extends FakeServer {
  /** access tokens issued, mapped to `<tenant>/<client>` */
  issued: Map<string, string>;
}

function entraError(status: number, error: string, code: number, text: string) {
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

export async function startEntraFake(options: {
  tenant: string;
  /** client IDs with a federated credential trusting the OIDC fake */
  clients: string[];
  verifyToken: (token: string, audience: string) => Record<string, unknown> | undefined;
}): Promise<EntraFake> {
  const issued = new Map<string, string>();
  const server = await startFake((req) => {
    const m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(new URL(req.url, 'http://f').pathname);
    if (req.method !== 'POST' || !m) return json(404, { error: 'not_found' });
    const tenant = decodeURIComponent(m[1] as string);
    if (tenant !== options.tenant) {
      return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const form = formOf(req.body);
    if (form.grant_type !== 'client_credentials')
      return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (!form.client_id || !options.clients.includes(form.client_id)) {
      return entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${form.client_id}' was not found in the directory '${tenant}'.`,
      );
    }
    if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return entraError(
        400,
        'invalid_request',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (!options.verifyToken(form.client_assertion ?? '', 'api://AzureADTokenExchange')) {
      return entraError(
        400,
        'invalid_client',
        700213,
        'No matching federated identity record found for presented assertion subject.',
      );
    }
    if (!form.scope?.endsWith('/.default'))
      return entraError(400, 'invalid_scope', 1002012, 'The provided value for scope is not valid.');
    const token = `eyJ0eXAiOiJKV1Qi.entra-${randomBytes(40).toString('base64url')}`;
    issued.set(token, `${tenant}/${form.client_id}`);
    return json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  });
  return { ...server, issued };
}
