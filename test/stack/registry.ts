// One distribution 2.8 registry of the stack: writes its config (filesystem storage, deletes
// enabled, the access log on so that request lines can be counted), starts
// `docker-registry serve` on a free 127.0.0.1 port and waits until `GET /v2/` answers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { logTail, type Managed, freePort, sleep, startProcess } from './processes.js';
import type { RegistryEndpoint } from './types.js';

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; path: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };

export interface StartedRegistry {
  endpoint: RegistryEndpoint;
  process: Managed;
}

const READY_TIMEOUT_MS = 20_000;

export async function startRegistry(
  binary: string,
  name: string,
  dir: string,
  auth: RegistryAuth,
): Promise<StartedRegistry> {
  mkdirSync(dir, { recursive: true });
  const storageDir = join(dir, 'storage');
  mkdirSync(storageDir, { recursive: true });
  const logFile = join(dir, 'registry.log');
  let lastError = '';
  // A free port can be taken by someone else between probing and binding: retry with another.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const configFile = join(dir, 'config.yml');
    writeFileSync(configFile, stringify(config(storageDir, port, auth)));
    const proc = startProcess(`registry ${name}`, binary, ['serve', configFile], logFile);
    const url = `http://127.0.0.1:${port}`;
    const outcome = await waitReady(url, proc, port);
    if (outcome === 'ready') {
      return { endpoint: { host: `127.0.0.1:${port}`, url, storageDir, logFile }, process: proc };
    }
    lastError = outcome;
    proc.child.kill('SIGKILL');
    await proc.exited;
    if (!/address already in use/.test(logTail(logFile, 5))) break;
  }
  throw new Error(`registry '${name}' did not start (${lastError}); last lines of ${logFile}:\n${logTail(logFile)}`);
}

function config(storageDir: string, port: number, auth: RegistryAuth): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    version: 0.1,
    // info level adds a "response completed" line per request; the access log (combined log
    // format, `"METHOD URI HTTP/1.1" status`) is what request counting reads
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false }, fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      // a fixed secret per registry keeps upload session state valid across its own requests
      secret: `stack-${port}-${Date.now()}`,
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
  };
  if (auth.kind === 'htpasswd') {
    cfg.auth = { htpasswd: { realm: 'stack-htpasswd', path: auth.path } };
  } else if (auth.kind === 'token') {
    cfg.auth = {
      token: {
        realm: auth.realm,
        service: auth.service,
        issuer: auth.issuer,
        rootcertbundle: auth.rootCertBundle,
      },
    };
  }
  return cfg;
}

async function waitReady(url: string, proc: Managed, port: number): Promise<'ready' | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exit: string | undefined;
  void proc.exited.then((e) => {
    exit = e;
  });
  while (Date.now() < deadline) {
    if (exit !== undefined) return `exited with ${exit}`;
    try {
      const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      // another server may hold the port: only our own registry's log says it listens there
      const ours = readFileSync(proc.logFile, 'utf8').includes(`listening on 127.0.0.1:${port}`);
      if (ours && (res.status === 200 || res.status === 401)) return 'ready';
      if (ours) return `GET /v2/ answered ${res.status}`;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return `no answer to GET ${url}/v2/ within ${READY_TIMEOUT_MS / 1000} s`;
}
