import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { discardBody, HttpAgents } from '#shared/http/agents.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('HttpAgents', () => {
  it('asks the proxy for a tunnel with its credentials, and reports a refusal with the status', async () => {
    const seen: { url?: string; auth?: string; host?: string }[] = [];
    const proxy = createServer();
    proxy.on('connect', (req, socket: Socket) => {
      seen.push({ url: req.url, auth: req.headers['proxy-authorization'], host: req.headers.host });
      socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n');
    });
    const base = await listen(proxy);
    const proxyUrl = base.replace('http://', 'http://us%40er:p%3Ass@');
    const agents = new HttpAgents();
    await expect(
      agents.exchange({ method: 'GET', url: new URL('http://registry.example:5000/v2/'), headers: {} }, proxyUrl),
    ).rejects.toThrow('the proxy refused the tunnel to registry.example:5000 (HTTP 407)');
    agents.close();
    expect(seen).toEqual([
      {
        url: 'registry.example:5000',
        host: 'registry.example:5000',
        auth: `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`,
      },
    ]);
  });

  it('resolves with an early answer and closes the connection left in the middle of the body', async () => {
    let closed = false;
    const server = createServer((req, res) => {
      // answers at once and keeps the connection open, reading nothing
      req.socket.once('close', () => {
        closed = true;
      });
      res.writeHead(413, { 'content-length': '7' });
      res.end('too big');
    });
    const base = await listen(server);
    const agents = new HttpAgents();
    let sent = 0;
    const body = new Readable({
      read() {
        sent += 65536;
        this.push(sent > 64 * 1024 * 1024 ? null : Buffer.alloc(65536));
      },
    });
    const res = await agents.exchange(
      {
        method: 'PUT',
        url: new URL(`${base}/upload`),
        headers: { 'content-length': String(64 * 1024 * 1024) },
        body,
      },
      undefined,
    );
    expect(res.statusCode).toBe(413);
    await discardBody(res);
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    body.destroy();
    agents.close();
  });

  it('says an empty body instead of sending an empty chunked stream', async () => {
    const headers: Record<string, string | undefined>[] = [];
    const server = createServer((req, res) => {
      headers.push({ length: req.headers['content-length'], chunked: req.headers['transfer-encoding'] });
      req.resume();
      req.on('end', () => res.end());
    });
    const base = await listen(server);
    const agents = new HttpAgents();
    for (const method of ['POST', 'PUT', 'PATCH', 'GET']) {
      const res = await agents.exchange({ method, url: new URL(`${base}/x`), headers: {} }, undefined);
      await discardBody(res);
    }
    const res = await agents.exchange(
      { method: 'PUT', url: new URL(`${base}/x`), headers: {}, body: 'abc' },
      undefined,
    );
    await discardBody(res);
    agents.close();
    expect(headers).toEqual([
      { length: '0', chunked: undefined },
      { length: '0', chunked: undefined },
      { length: '0', chunked: undefined },
      { length: undefined, chunked: undefined },
      { length: '3', chunked: undefined },
    ]);
  });
});
