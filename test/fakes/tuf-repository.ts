// A TUF repository on 127.0.0.1, as a private Sigstore instance publishes its trusted root:
// root, targets, snapshot and timestamp metadata in canonical JSON, each role signed with its own
// ed25519 key, consistent snapshots (`N.root.json`, `N.snapshot.json`, `N.targets.json`,
// `targets/<sha256>.<name>`), and the targets given to it. Written by hand, not with the client
// library under test, from the TUF specification. What is served can be spoiled on purpose:
// other bytes for a target than its metadata names, an expired timestamp, a timestamp signed
// by a key the root does not trust. Every request is recorded.
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { type FakeServer, startFake } from './server.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Canonical JSON as TUF signs it (OLPC): sorted keys, no blanks; strings escape only `"` and `\`. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error('canonical JSON has integers only');
    return String(value);
  }
  if (typeof value === 'string') return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${canonicalJson(k)}:${canonicalJson(value[k] as Json)}`).join(',')}}`;
}

interface RoleKey {
  id: string;
  publicJson: { [key: string]: Json };
  privateKey: KeyObject;
}

function newKey(): RoleKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // raw 32-byte public key, hex (the last 32 bytes of the SPKI DER)
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const publicJson = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } };
  const id = createHash('sha256').update(canonicalJson(publicJson)).digest('hex');
  return { id, publicJson, privateKey };
}

function signed(body: { [key: string]: Json }, keys: RoleKey[]): Buffer {
  const data = Buffer.from(canonicalJson(body));
  const signatures = keys.map((k) => ({ keyid: k.id, sig: sign(null, data, k.privateKey).toString('hex') }));
  return Buffer.from(JSON.stringify({ signatures, signed: body }, null, 1));
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');

export interface PublishOptions {
  /** the timestamp's expiry, in days from now (negative: already expired) */
  timestampDays?: number;
  /** sign the timestamp with a key the root does not list */
  timestampSignedByStranger?: boolean;
  /** serve these bytes for the named target instead of the ones the metadata describes */
  tamperedTargets?: Record<string, Buffer>;
}

export interface TufRepository {
  url: string;
  /** the initial root.json (version 1), for `tuf-root` */
  rootJson: Buffer;
  requests: FakeServer['requests'];
  /** the next requests get these replies instead (a mirror that is down) */
  inject: FakeServer['inject'];
  /** publishes the targets as a new snapshot (new versions of targets, snapshot, timestamp) */
  publish(targets: Record<string, Buffer>, options?: PublishOptions): void;
  close(): Promise<void>;
}

export async function startTufRepository(): Promise<TufRepository> {
  const keys = { root: newKey(), targets: newKey(), snapshot: newKey(), timestamp: newKey() };
  const stranger = newKey();
  const role = (k: RoleKey) => ({ keyids: [k.id], threshold: 1 });
  const rootJson = signed(
    {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: inDays(365),
      consistent_snapshot: true,
      keys: Object.fromEntries(Object.values(keys).map((k) => [k.id, k.publicJson])),
      roles: {
        root: role(keys.root),
        targets: role(keys.targets),
        snapshot: role(keys.snapshot),
        timestamp: role(keys.timestamp),
      },
    },
    [keys.root],
  );
  const files = new Map<string, Buffer>([['/1.root.json', rootJson]]);
  let version = 0;

  const publish = (targets: Record<string, Buffer>, options: PublishOptions = {}) => {
    version++;
    const targetsBody = {
      _type: 'targets',
      spec_version: '1.0.31',
      version,
      expires: inDays(90),
      targets: Object.fromEntries(
        Object.entries(targets).map(([name, bytes]) => [
          name,
          { length: bytes.length, hashes: { sha256: sha256(bytes) } },
        ]),
      ),
    };
    const targetsJson = signed(targetsBody, [keys.targets]);
    const snapshotJson = signed(
      {
        _type: 'snapshot',
        spec_version: '1.0.31',
        version,
        expires: inDays(30),
        meta: { 'targets.json': { version } },
      },
      [keys.snapshot],
    );
    const timestampJson = signed(
      {
        _type: 'timestamp',
        spec_version: '1.0.31',
        version,
        expires: inDays(options.timestampDays ?? 1),
        meta: {
          'snapshot.json': {
            version,
            length: snapshotJson.length,
            hashes: { sha256: sha256(snapshotJson) },
          },
        },
      },
      [options.timestampSignedByStranger ? stranger : keys.timestamp],
    );
    files.set(`/${version}.targets.json`, targetsJson);
    files.set(`/${version}.snapshot.json`, snapshotJson);
    files.set('/timestamp.json', timestampJson);
    for (const [name, bytes] of Object.entries(targets)) {
      files.set(`/targets/${sha256(bytes)}.${name}`, options.tamperedTargets?.[name] ?? bytes);
    }
  };

  const server = await startFake((req) => {
    const body = req.method === 'GET' ? files.get(req.url) : undefined;
    if (!body) return { status: 404, body: 'not found' };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: body.toString('utf8') };
  });
  return {
    url: server.url,
    rootJson,
    requests: server.requests,
    inject: server.inject,
    publish,
    close: () => server.close(),
  };
}
