import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chainCredentials,
  configKeyHost,
  dockerConfigCredentials,
  entryCredential,
  staticCredentials,
} from '#shared/oci/credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('configKeyHost', () => {
  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['GHCR.IO', 'ghcr.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
    ['registry.example.com:5000', 'registry.example.com:5000'],
  ])('%s → %s', (key, expected) => {
    expect(configKeyHost(key)).toBe(expected);
  });
});

describe('entryCredential', () => {
  it.each([
    [{ auth: b64('user:pass') }, { username: 'user', password: 'pass' }],
    [{ auth: b64('user:pa:ss') }, { username: 'user', password: 'pa:ss' }],
    [
      { username: 'u', password: 'p' },
      { username: 'u', password: 'p' },
    ],
    [
      { auth: b64('ignored:x'), username: 'u', password: 'p' },
      { username: 'u', password: 'p' },
    ],
    [{ identitytoken: 'refresh' }, { identityToken: 'refresh' }],
    [
      { auth: b64('u:p'), identitytoken: 'r' },
      { username: 'u', password: 'p', identityToken: 'r' },
    ],
    [{ registrytoken: 'bearer' }, { registryToken: 'bearer' }],
    [{ auth: '' }, undefined],
    [{ auth: b64('nocolon') }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])('%j → %j', (entry, expected) => {
    expect(entryCredential(entry)).toEqual(expected);
  });
});

describe('staticCredentials and chainCredentials', () => {
  it('matches any Docker Hub spelling and falls through empty providers', async () => {
    const hub = staticCredentials({ 'https://index.docker.io/v1/': { username: 'u', password: 'p' } });
    expect(await hub('docker.io')).toEqual({ username: 'u', password: 'p' });
    expect(await hub('ghcr.io')).toBeUndefined();
    const chain = chainCredentials(
      staticCredentials({ 'ghcr.io': { username: 'a', password: '' } }),
      staticCredentials({ 'ghcr.io': { username: 'b', password: 'q' } }),
    );
    expect(await chain('ghcr.io')).toEqual({ username: 'b', password: 'q' });
    expect(await chain('quay.io')).toBeUndefined();
  });
});

describe('dockerConfigCredentials', () => {
  let dir: string;
  let bin: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'creds-test-'));
    bin = join(dir, 'bin');
    await mkdir(bin);
    // A credential helper speaking the docker-credential-helpers protocol: server URL on stdin.
    const helper = `#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
case "$server" in
  helper.example.com) printf '{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}' "$server" ;;
  token.example.com) printf '{"ServerURL":"%s","Username":"<token>","Secret":"identity-from-helper"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"hub-user","Secret":"hub-secret"}' "$server" ;;
  broken.example.com) echo 'boom helper-secret' >&2; exit 3 ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
`;
    await writeFile(join(bin, 'docker-credential-test'), helper);
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    env = { PATH: `${bin}:${process.env.PATH}`, HOME: join(dir, 'home') };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const withConfig = async (name: string, config: unknown) => {
    const configDir = join(dir, name);
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.json'), JSON.stringify(config));
    return configDir;
  };

  it('reads auths entries under any key spelling', async () => {
    const configDir = await withConfig('auths', {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:hubpass') },
        'https://ghcr.io': { username: 'gh', password: 'ghpass' },
        '127.0.0.1:5000': { identitytoken: 'refresh-token' },
      },
    });
    const provider = dockerConfigCredentials({ configDir, env });
    expect(await provider('docker.io')).toEqual({ username: 'hub', password: 'hubpass' });
    expect(await provider('ghcr.io')).toEqual({ username: 'gh', password: 'ghpass' });
    expect(await provider('127.0.0.1:5000')).toEqual({ identityToken: 'refresh-token' });
    expect(await provider('quay.io')).toBeUndefined();
  });

  it('finds config.json through DOCKER_CONFIG, else ~/.docker', async () => {
    const configDir = await withConfig('env-dir', { auths: { 'r.example': { auth: b64('e:f') } } });
    expect(await dockerConfigCredentials({ env: { ...env, DOCKER_CONFIG: configDir } })('r.example')).toEqual({
      username: 'e',
      password: 'f',
    });
    await withConfig('home/.docker', { auths: { 'r.example': { auth: b64('h:i') } } });
    expect(await dockerConfigCredentials({ env })('r.example')).toEqual({ username: 'h', password: 'i' });
  });

  it('has nothing (and no error) when there is no config file', async () => {
    const provider = dockerConfigCredentials({ configDir: join(dir, 'missing'), env });
    expect(await provider('ghcr.io')).toBeUndefined();
  });

  it('asks credHelpers for their registries and credsStore for the rest', async () => {
    const configDir = await withConfig('helpers', {
      credHelpers: { 'helper.example.com': 'test', 'token.example.com': 'test' },
      auths: { 'plain.example.com': { auth: b64('p:q') } },
    });
    const provider = dockerConfigCredentials({ configDir, env });
    expect(await provider('helper.example.com')).toEqual({ username: 'helper-user', password: 'helper-secret' });
    expect(await provider('token.example.com')).toEqual({ identityToken: 'identity-from-helper' });
    expect(await provider('plain.example.com')).toEqual({ username: 'p', password: 'q' });

    const storeDir = await withConfig('store', {
      credsStore: 'test',
      auths: { 'https://index.docker.io/v1/': {}, 'fallback.example.com': { auth: b64('f:g') } },
    });
    const store = dockerConfigCredentials({ configDir: storeDir, env });
    expect(await store('docker.io')).toEqual({ username: 'hub-user', password: 'hub-secret' });
    // the helper has nothing for it: the auths entry is used
    expect(await store('fallback.example.com')).toEqual({ username: 'f', password: 'g' });
    expect(await store('unknown.example.com')).toBeUndefined();
  });

  it('reports a failing or missing helper without its output', async () => {
    const configDir = await withConfig('broken', {
      credHelpers: { 'broken.example.com': 'test', 'gone.example.com': 'absent' },
    });
    const provider = dockerConfigCredentials({ configDir, env });
    const err = (await provider('broken.example.com').catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(
      'getting credentials for broken.example.com from docker-credential-test: the helper exited with code 3',
    );
    await expect(provider('gone.example.com')).rejects.toThrow(
      "getting credentials for gone.example.com from docker-credential-absent: 'docker-credential-absent' is not installed or not on PATH",
    );
  });

  it('refuses a config that is not JSON without quoting it', async () => {
    const configDir = join(dir, 'bad');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.json'), '{"auths": {"x": {"auth": "c2VjcmV0"}');
    const err = (await dockerConfigCredentials({ configDir, env })('x').catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/it is not valid JSON/);
    expect(err.message).not.toContain('c2VjcmV0');
  });
});
