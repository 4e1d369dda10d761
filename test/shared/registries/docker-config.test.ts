import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodeAuth,
  readConfig,
  resolveConfigDir,
  undoLogins,
  writeDockerConfigJson,
  writeLogins,
} from '#shared/registries/docker-config.js';

const SECRET = 'pl4nted-Secret-Value-9f3';

function dirs() {
  const root = mkdtempSync(join(tmpdir(), 'docker-config-'));
  return { configDir: join(root, 'docker'), backupDir: join(root, 'runner-temp'), root };
}

// A config as docker writes it, with an unrelated registry and settings we must not touch.
const EXISTING = `{
\t"auths": {
\t\t"other.example": {
\t\t\t"auth": "b3RoZXI6c2VjcmV0"
\t\t},
\t\t"ghcr.io": {
\t\t\t"auth": "b2xkOm9sZHBhc3M="
\t\t}
\t},
\t"psFormat": "table {{.ID}}",
\t"proxies": {"default": {"httpProxy": "http://proxy:3128"}}
}
`;

describe('writeLogins / undoLogins', () => {
  it('merges: sets our keys, keeps every other entry and setting, writes 0600', async () => {
    const { configDir, backupDir } = dirs();
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), EXISTING, { mode: 0o644 });
    await writeLogins({
      configDir,
      backupDir,
      logins: [
        { key: 'ghcr.io', username: 'octocat', password: SECRET },
        { key: 'https://index.docker.io/v1/', username: 'hubuser', password: SECRET },
      ],
    });
    const config = await readConfig(configDir);
    expect(config.auths).toEqual({
      'other.example': { auth: 'b3RoZXI6c2VjcmV0' },
      'ghcr.io': { auth: encodeAuth('octocat', SECRET) },
      'https://index.docker.io/v1/': { auth: encodeAuth('hubuser', SECRET) },
    });
    expect(config.psFormat).toBe('table {{.ID}}');
    expect(config.proxies).toEqual({ default: { httpProxy: 'http://proxy:3128' } });
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o600);
    // no temporary files left next to the config
    expect(readdirSync(configDir)).toEqual(['config.json']);
  });

  it('restores the file byte for byte (content and mode) when nothing else changed it', async () => {
    const { configDir, backupDir } = dirs();
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), EXISTING, { mode: 0o644 });
    const record = await writeLogins({
      configDir,
      backupDir,
      logins: [{ key: 'ghcr.io', username: 'u', password: SECRET }],
    });
    expect(JSON.stringify(record)).not.toContain(SECRET);
    const backup = readFileSync(record.backupFile);
    expect(statSync(record.backupFile).mode & 0o777).toBe(0o600);
    expect(backup.length).toBeGreaterThan(0);
    const result = await undoLogins(record);
    expect(readFileSync(join(configDir, 'config.json'), 'utf8')).toBe(EXISTING);
    expect(statSync(join(configDir, 'config.json')).mode & 0o777).toBe(0o644);
    expect(result).toEqual({ restoredExactly: true, restored: ['ghcr.io'], removed: [], keptChangedByOthers: [] });
    expect(existsSync(record.backupFile)).toBe(false);
  });

  it('removes the file again when there was none', async () => {
    const { configDir, backupDir } = dirs();
    const record = await writeLogins({
      configDir,
      backupDir,
      logins: [{ key: '127.0.0.1:5000', username: 'u', password: SECRET }],
    });
    expect(existsSync(join(configDir, 'config.json'))).toBe(true);
    const result = await undoLogins(record);
    expect(existsSync(join(configDir, 'config.json'))).toBe(false);
    expect(result.removed).toEqual(['127.0.0.1:5000']);
  });

  it('undoes only its own keys when another step changed the file meanwhile', async () => {
    const { configDir, backupDir } = dirs();
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), EXISTING);
    const record = await writeLogins({
      configDir,
      backupDir,
      logins: [
        { key: 'ghcr.io', username: 'u', password: SECRET },
        { key: 'new.example', username: 'u', password: SECRET },
        { key: 'rewritten.example', username: 'u', password: SECRET },
      ],
    });
    // a later step logs in elsewhere and rewrites one of our keys
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8'));
    config.auths['later.example'] = { auth: 'bGF0ZXI6cA==' };
    config.auths['rewritten.example'] = { auth: 'bGF0ZXI6cTI=' };
    writeFileSync(join(configDir, 'config.json'), JSON.stringify(config));
    const result = await undoLogins(record);
    expect(result).toEqual({
      restoredExactly: false,
      restored: ['ghcr.io'],
      removed: ['new.example'],
      keptChangedByOthers: ['rewritten.example'],
    });
    const after = await readConfig(configDir);
    expect(after.auths).toEqual({
      'other.example': { auth: 'b3RoZXI6c2VjcmV0' },
      'ghcr.io': { auth: 'b2xkOm9sZHBhc3M=' },
      'later.example': { auth: 'bGF0ZXI6cA==' },
      'rewritten.example': { auth: 'bGF0ZXI6cTI=' },
    });
    expect(after.psFormat).toBe('table {{.ID}}');
  });

  it('refuses a config that is not JSON without quoting it', async () => {
    const { configDir, backupDir } = dirs();
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'config.json'), `{"auths": {"x": {"auth": "${SECRET}"`);
    const error = await writeLogins({
      configDir,
      backupDir,
      logins: [{ key: 'a', username: 'u', password: 'p' }],
    }).catch((e) => e);
    expect(error.message).toMatch(/config\.json: it is not valid JSON; fix or remove the file$/);
    expect(error.message).not.toContain(SECRET);
  });
});

describe('writeDockerConfigJson', () => {
  it('writes the Kubernetes .dockerconfigjson shape, 0600', async () => {
    const { root } = dirs();
    const file = join(root, 'pull-secret', 'dockerconfigjson');
    await writeDockerConfigJson(file, [{ key: 'ghcr.io', username: 'octocat', password: SECRET }]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      auths: { 'ghcr.io': { username: 'octocat', password: SECRET, auth: encodeAuth('octocat', SECRET) } },
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('resolveConfigDir', () => {
  it.each([
    ['/given', { DOCKER_CONFIG: '/env', HOME: '/home/u' }, '/given'],
    [undefined, { DOCKER_CONFIG: '/env', HOME: '/home/u' }, '/env'],
    [undefined, { HOME: '/home/u' }, '/home/u/.docker'],
  ])('%s with %j -> %s', (input, env, expected) => {
    expect(resolveConfigDir(input, env)).toBe(expected);
  });
});
