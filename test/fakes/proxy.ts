// A forward proxy on 127.0.0.1 as self-hosted runners have one: it answers CONNECT only, records
// every tunnel asked for, and opens it to a local server chosen by a route table (the host:port
// asked for -> a port on 127.0.0.1), so clients can be pointed at real host names
// (api.github.com, sts.amazonaws.com) while nothing leaves the machine. A host without a route
// gets 403. For https targets, `tlsFront` puts TLS with a test certificate in front of a plain
// fake, and `testCertificates` makes that certificate and the CA a client must trust.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';

export interface TunnelProxy {
  url: string;
  /** the authority of every CONNECT, in order (`api.github.com:443`) */
  tunnels: string[];
  /** the host:port asked for -> a local port */
  routes: Map<string, number>;
  close(): Promise<void>;
}

function closing(server: Server | ReturnType<typeof createTlsServer>, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startTunnelProxy(routes: Record<string, number> = {}): Promise<TunnelProxy> {
  const tunnels: string[] = [];
  const table = new Map(Object.entries(routes));
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    // plain proxying of absolute URLs is not what the clients under test should do
    res.writeHead(405, { 'content-length': '0' });
    res.end();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    const authority = req.url ?? '';
    tunnels.push(authority);
    const port = table.get(authority);
    if (port === undefined) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(port, '127.0.0.1', () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    routes: table,
    close: closing(server, sockets),
  };
}

export interface TestCertificates {
  /** PEM of the CA (for NODE_EXTRA_CA_CERTS or a `ca` option) */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

/** A throwaway CA and a server certificate for `names`, made with the openssl CLI. */
export function testCertificates(names: string[]): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['genrsa', '-out', 'ca.key', '2048']);
  run(['req', '-x509', '-new', '-key', 'ca.key', '-days', '2', '-subj', '/CN=test CA', '-out', 'ca.pem']);
  run(['genrsa', '-out', 'server.key', '2048']);
  run(['req', '-new', '-key', 'server.key', '-subj', `/CN=${names[0]}`, '-out', 'server.csr']);
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
    '-out',
    'server.pem',
  ]);
  return {
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    key: readFileSync(join(dir, 'server.key'), 'utf8'),
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
  };
}

/** TLS on 127.0.0.1 in front of a plain local server (`upstream` is its http://127.0.0.1:port URL). */
export async function tlsFront(
  upstream: string,
  certs: TestCertificates,
): Promise<{ port: number; close(): Promise<void> }> {
  const target = Number(new URL(upstream).port);
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key: certs.key, cert: certs.cert }, (secure) => {
    const plain = connect(target, '127.0.0.1');
    sockets.add(plain);
    plain.on('close', () => sockets.delete(plain));
    secure.pipe(plain);
    plain.pipe(secure);
    plain.on('error', () => secure.destroy());
    secure.on('error', () => plain.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: closing(server, sockets) };
}
