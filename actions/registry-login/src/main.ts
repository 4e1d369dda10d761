// registry-login main step: resolve credentials for every registry (exchanging OIDC tokens where
// asked), check them, merge them into the docker config, and leave what the post step needs to
// undo exactly that in state (paths and key names only).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskSecret, debug, fmt, group, info, warning } from '#shared/action/log.js';
import { setOutput } from '#shared/action/outputs.js';
import { saveState } from '#shared/action/state.js';
import { addHeading, addTable, writeSummary } from '#shared/action/summary.js';
import { ConfigurationError } from '#shared/errors.js';
import {
  credentialOverride,
  readConfig,
  resolveConfigDir,
  writeDockerConfigJson,
  writeLogins,
  type Login,
  type LoginRecord,
} from '#shared/registries/docker-config.js';
import { dockerConfigKey } from '#shared/registries/hosts.js';
import { type ResolvedLogin, resolveLogins } from './credentials.js';
import { createHttpClient } from './http.js';
import { readInputs } from './inputs.js';

export const STATE_KEY = 'login';

export interface LoginState {
  record: LoginRecord;
  dockerConfigJsonDir: string;
  logout: boolean;
}

export async function main(): Promise<void> {
  const inputs = await readInputs();
  const env = process.env;
  const http = createHttpClient({ debug });
  const mask = (secret: string) => maskSecret(secret);
  const configDir = resolveConfigDir(inputs.configDir, env);

  const logins: Array<ResolvedLogin & { verified: string }> = [];
  for (const request of inputs.requests) {
    await group(`Log in to ${request.registry} (${request.provider})`, async () => {
      const resolved = await resolveLogins(request, { http, env, mask, githubToken: inputs.githubToken });
      for (const login of resolved) {
        if (logins.some((l) => l.registry === login.registry)) {
          throw new ConfigurationError(
            `${login.registry} is logged in to twice; list each registry once`,
            'registries',
          );
        }
        info(fmt`${login.registry}: user '${login.username}' via ${login.method}`);
        // the registry client behind the check is loaded only when a login is checked
        const verified =
          request.verify === 'none'
            ? 'none'
            : await (await import('./verify.js')).verifyLogin({
                http,
                registry: login.registry,
                username: login.username,
                password: login.password,
                scope: request.verify,
                repository: request.verifyRepository,
                mask,
                debug,
              });
        if (verified !== 'none') info(`${login.registry}: verified ${verified}`);
        logins.push({ ...login, verified });
      }
    });
  }

  const entries: Login[] = logins.map((l) => ({
    key: dockerConfigKey(l.registry),
    username: l.username,
    password: l.password,
  }));
  const existing = await readConfig(configDir);
  for (const entry of entries) {
    const override = credentialOverride(existing, entry.key);
    if (override) {
      warning(
        `${configDir}/config.json: ${override}, so the docker CLI may not use the credentials written for ${entry.key}`,
      );
    }
  }

  const runnerTemp = env.RUNNER_TEMP || tmpdir();
  const record = await writeLogins({ configDir, logins: entries, backupDir: runnerTemp });
  const dockerConfigJsonDir = await mkdtemp(join(runnerTemp, 'registry-login-pull-secret-'));
  // Saved before anything else can fail, so the post step can undo the write.
  saveState(STATE_KEY, { record, dockerConfigJsonDir, logout: inputs.logout } satisfies LoginState);
  const dockerConfigJsonFile = join(dockerConfigJsonDir, 'dockerconfigjson');
  await writeDockerConfigJson(dockerConfigJsonFile, entries);
  info(fmt`Wrote ${entries.length} login(s) to ${record.configFile}`);

  setOutput(
    'registries',
    logins.map((l) => l.registry),
  );
  setOutput('docker-config', configDir);
  setOutput('dockerconfigjson-file', dockerConfigJsonFile);

  addHeading('Registry login');
  addTable(
    ['Registry', 'Provider', 'User', 'Credential', 'Verified'],
    logins.map((l) => [l.registry, l.provider, l.username, l.method, l.verified]),
  );
  await writeSummary();
}
