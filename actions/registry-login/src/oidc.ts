// The GitHub Actions OIDC token, asked for directly from the runner's token endpoint
// (ACTIONS_ID_TOKEN_REQUEST_URL + `&audience=`, bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN), which is
// what core.getIDToken does too; doing it here keeps one HTTP seam that tests point at a fake.
import { ConfigurationError, OperationError } from '#shared/errors.js';
import { bodyExcerpt, type HttpClient, jsonBody } from './http.js';

export type IdTokenSource = (audience: string) => Promise<string>;

export interface IdTokenOptions {
  http: HttpClient;
  env: NodeJS.ProcessEnv;
  mask: (secret: string) => void;
  /** the input that made the token necessary, for the error when the job lacks `id-token: write` */
  input: string;
}

export function githubIdTokenSource(options: IdTokenOptions): IdTokenSource {
  return async (audience) => {
    const url = options.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = options.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!url || !bearer) {
      throw new ConfigurationError(
        'needs a GitHub OIDC token, but the job may not request one: add `permissions: id-token: write` to the job (or give a static secret instead)',
        options.input,
      );
    }
    const operation = `requesting a GitHub OIDC token for audience ${audience}`;
    const separator = url.includes('?') ? '&' : '?';
    const response = await options.http.request(
      operation,
      `${url}${separator}audience=${encodeURIComponent(audience)}`,
      { method: 'GET', headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } },
    );
    const body = jsonBody(response) as { value?: unknown; message?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.value !== 'string' || body.value === '') {
      const why = typeof body?.message === 'string' ? body.message : bodyExcerpt(response.text);
      throw new OperationError(operation, `HTTP ${response.status}${why ? `: ${why}` : ''}`);
    }
    options.mask(body.value);
    return body.value;
  };
}
