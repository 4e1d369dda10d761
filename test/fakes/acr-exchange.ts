// Fake of the Azure Container Registry token service `POST /oauth2/exchange`
// (grant_type=access_token: an Entra access token for an ACR refresh token); errors in the
// registry's `{"errors": [{"code", "message"}]}` shape.
import { randomBytes } from 'node:crypto';
import { type FakeServer, formOf, json, startFake } from './server.js';

export interface AcrFake extends FakeServer {
  /** refresh tokens issued */
  issued: Set<string>;
  /** the service name the fake expects (its own host:port) */
  service: string;
}

export async function startAcrExchangeFake(options: {
  /** Entra access tokens the registry accepts, mapped to `<tenant>/<client>` */
  entraTokens: Map<string, string>;
  /** `<tenant>/<client>` identities that hold a role on the registry */
  members: string[];
  /** the registry's name (default: the fake's own host:port) */
  service?: string;
}): Promise<AcrFake> {
  const issued = new Set<string>();
  let service = '';
  const error = (status: number, code: string, message: string) => json(status, { errors: [{ code, message }] });
  const server = await startFake((req) => {
    if (req.method !== 'POST' || new URL(req.url, 'http://f').pathname !== '/oauth2/exchange') {
      return error(404, 'NOT_FOUND', 'not found');
    }
    const form = formOf(req.body);
    if (form.grant_type !== 'access_token' && form.grant_type !== 'access_token_refresh_token') {
      return error(400, 'UNSUPPORTED', `grant_type ${form.grant_type} is not supported`);
    }
    if (form.service !== service)
      return error(400, 'UNAUTHORIZED', `service ${form.service} does not match ${service}`);
    const identity = options.entraTokens.get(form.access_token ?? '');
    if (!identity?.startsWith(`${form.tenant}/`)) {
      return error(401, 'UNAUTHORIZED', 'failed to authenticate: the access token is invalid or for another tenant');
    }
    if (!options.members.includes(identity)) {
      return error(403, 'DENIED', 'identity has no role assignment on the registry');
    }
    const token = `acr-refresh-${randomBytes(48).toString('base64url')}`;
    issued.add(token);
    return json(200, { refresh_token: token });
  });
  service = options.service ?? server.url.replace(/^http:\/\//, '');
  return { ...server, issued, service };
}
