import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { engineGet, engineHasNetwork, engineSocket } from '#shared/docker/engine-api.js';

const dir = mkdtempSync(join(tmpdir(), 'engine-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configDir(config: unknown): string {
  const d = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(d, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return d;
}

describe('engineSocket', () => {
  it('is the socket of a unix:// DOCKER_HOST', () => {
    expect(engineSocket({ DOCKER_HOST: 'unix:///tmp/x/docker.sock' })).toBe('/tmp/x/docker.sock');
  });
  it('leaves tcp://, ssh:// hosts and contexts to the CLI', () => {
    expect(engineSocket({ DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBeUndefined();
    expect(engineSocket({ DOCKER_HOST: 'ssh://me@box' })).toBeUndefined();
    expect(engineSocket({ DOCKER_HOST: 'unix://' })).toBeUndefined();
    expect(engineSocket({ DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: configDir({}) })).toBeUndefined();
    expect(engineSocket({ DOCKER_CONFIG: configDir({ currentContext: 'remote' }) })).toBeUndefined();
  });
  it('is the default socket without a host or a context', () => {
    expect(engineSocket({ DOCKER_CONFIG: configDir({ auths: {} }) })).toBe('/var/run/docker.sock');
    expect(engineSocket({ DOCKER_CONFIG: configDir({ currentContext: 'default' }) })).toBe('/var/run/docker.sock');
    expect(engineSocket({ DOCKER_CONFIG: join(dir, 'missing') })).toBe('/var/run/docker.sock');
  });
  it('leaves a config it cannot read to the CLI', () => {
    expect(engineSocket({ DOCKER_CONFIG: configDir('{not json') })).toBeUndefined();
  });
});

describe('engineHasNetwork against a fake engine', () => {
  const socket = join(dir, 'fake.sock');
  let networks: unknown = [];
  let status = 200;
  const seen: string[] = [];
  let server: Server;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof networks === 'string' ? networks : JSON.stringify(networks));
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const env = { DOCKER_HOST: `unix://${socket}` };

  it('finds the network by its exact name, with the name filter sent', async () => {
    networks = [{ Name: 'bridge-extra' }, { Name: 'bridge' }];
    expect(await engineHasNetwork(env, 'bridge')).toBe(true);
    const filters = new URL(seen.at(-1) as string, 'http://x').searchParams.get('filters');
    expect(JSON.parse(filters as string)).toEqual({ name: { bridge: true } });
  });
  it('is false when only other networks match the filter', async () => {
    networks = [{ Name: 'bridge-extra' }, { Name: 'host' }];
    expect(await engineHasNetwork(env, 'bridge')).toBe(false);
  });
  it('cannot tell (undefined) on an error answer, a body that is not a list, or no socket', async () => {
    status = 500;
    expect(await engineHasNetwork(env, 'bridge')).toBeUndefined();
    status = 200;
    networks = '{"message":"odd"}';
    expect(await engineHasNetwork(env, 'bridge')).toBeUndefined();
    networks = 'not json';
    expect(await engineHasNetwork(env, 'bridge')).toBeUndefined();
    expect(await engineHasNetwork({ DOCKER_HOST: `unix://${join(dir, 'none.sock')}` }, 'bridge')).toBeUndefined();
  });
  it('engineGet rejects a non-200 answer with the path and status', async () => {
    status = 404;
    await expect(engineGet(socket, '/nothing')).rejects.toThrow('/nothing with HTTP 404');
    status = 200;
  });
});

describe('engineHasNetwork against the real daemon', () => {
  const docker = inject('stack').docker;
  it.skipIf(!docker)('gives the answer the docker CLI gives', async () => {
    const env = { ...process.env, DOCKER_HOST: docker?.host, DOCKER_CONTEXT: '' };
    const cli = execFileSync('docker', ['network', 'ls', '--quiet', '--filter', 'name=^bridge$'], { env }).toString();
    const viaSocket = await engineHasNetwork(env, 'bridge');
    expect(viaSocket).toBe(cli.trim() !== '');
    // the stack's daemon runs with --bridge=none, and has the host network
    if (docker?.started) expect(viaSocket).toBe(false);
    expect(await engineHasNetwork(env, 'host')).toBe(true);
  });
});
