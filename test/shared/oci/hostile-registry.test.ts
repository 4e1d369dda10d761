// The registry client against a registry that lies (test/fakes/hostile-registry.ts): strings
// that break their grammar are refused where they are parsed, credentials go only to the
// registry's own origin and never over plain http for an https registry, and a tag listing
// stops at its bounds and at once when aborted.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorLine } from '#shared/action/runner.js';
import { Authenticator, realmProblem } from '#shared/oci/auth.js';
import { indexManifests, RegistryClient } from '#shared/oci/client.js';
import { staticCredentials } from '#shared/oci/credentials.js';
import { Transport } from '#shared/oci/transport.js';
import { listRegistryTags, readReleases } from '../../../actions/compute-tags/src/releases.js';
import { type HostileRegistry, startHostileRegistry } from '../../fakes/hostile-registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INJECT = '\n::warning::INJECTED';
const digestA = `sha256:${'a'.repeat(64)}`;

let reg: HostileRegistry;
let other: HostileRegistry;
const clients: RegistryClient[] = [];
const client = (options: ConstructorParameters<typeof RegistryClient>[0] = {}) => {
  const c = new RegistryClient({ retry: { retries: 0 }, credentials: staticCredentials({}), ...options });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  reg = await startHostileRegistry();
  other = await startHostileRegistry();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  reg.challenge(undefined);
  other.challenge(undefined);
  reg.requests.length = 0;
  other.requests.length = 0;
});
afterAll(async () => {
  await reg.close();
  await other.close();
});

describe('registry strings are held to their grammar', () => {
  it('a manifest whose mediaType carries a line break is refused, quoted with its escapes', async () => {
    reg.manifest(
      'app',
      { schemaVersion: 2, mediaType: `${OCI_MANIFEST}${INJECT}` },
      { tags: ['bad'], contentType: OCI_MANIFEST },
    );
    const err = await client()
      .getManifest({ registry: reg.host, repository: 'app' }, 'bad')
      .catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `getting manifest ${reg.host}/app:bad: the manifest's mediaType "${OCI_MANIFEST}\\n::warning::INJECTED" is not a media type`,
    );
  });

  it.each([
    ['mediaType', { mediaType: `${OCI_MANIFEST}${INJECT}`, digest: digestA, size: 1 }, 'its mediaType'],
    [
      'platform os',
      { mediaType: OCI_MANIFEST, digest: digestA, size: 1, platform: { os: `linux${INJECT}`, architecture: 'amd64' } },
      'its platform os',
    ],
    [
      'platform variant',
      {
        mediaType: OCI_MANIFEST,
        digest: digestA,
        size: 1,
        platform: { os: 'linux', architecture: 'arm', variant: 'v7 ##[error]x' },
      },
      'its platform variant',
    ],
    [
      'artifactType',
      {
        mediaType: OCI_MANIFEST,
        digest: digestA,
        size: 1,
        artifactType: `application/vnd.dev.sigstore.bundle.v0.3+json${INJECT}`,
      },
      'its artifactType',
    ],
  ])('an index entry with a bad %s fails the read (a plan never skips an entry)', (_, entry, what) => {
    expect(() => indexManifests({ json: { manifests: [entry] } })).toThrow(what);
  });

  it('keeps well-formed entries as they are', () => {
    const entry = {
      mediaType: OCI_MANIFEST,
      digest: digestA,
      size: 7,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1', 'os.features': ['win32k'] },
    };
    expect(indexManifests({ json: { manifests: [entry] } })).toEqual([entry]);
  });

  it('a referrers answer with a hostile artifactType is an error, not a signature', async () => {
    const subject = reg.manifest('app', { schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] });
    reg.referrers('app', subject, [
      { mediaType: OCI_MANIFEST, digest: digestA, size: 2, artifactType: `application/x${INJECT}` },
    ]);
    await expect(client().referrersApi({ registry: reg.host, repository: 'app' }, subject)).rejects.toThrow(
      `its artifactType "application/x\\n::warning::INJECTED" is not a media type`,
    );
  });
});

describe('error bodies', () => {
  it("a registry's error message with a line break ends as one escaped error line", async () => {
    reg.fail(/\/v2\/app\/manifests\/broken$/, {
      status: 403,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ errors: [{ code: 'DENIED', message: `no${INJECT}\r\n##[error]again` }] }),
    });
    const err = await client()
      .getManifest({ registry: reg.host, repository: 'app' }, 'broken')
      .catch((e: Error) => e);
    expect(errorLine(err, 'main')).toBe(
      `getting manifest ${reg.host}/app:broken: denied: anonymous pull is not allowed on ${reg.host}/app (HTTP 403 DENIED no ::warning::INJECTED ##[error]again)`,
    );
  });
});

describe('credentials go only to the registry itself', () => {
  it.each([
    ['https registry, https realm', 'https://reg.example', 'https://auth.example/token', undefined],
    ['plain-http loopback registry, http realm', 'http://127.0.0.1:5000', 'http://127.0.0.1:5001/token', undefined],
    [
      'https registry, http realm',
      'https://reg.example',
      'http://auth.example/token?x=1',
      'the registry named the plain-http token realm http://auth.example/token: credentials would travel unencrypted',
    ],
    [
      'plain-http registry elsewhere, http realm',
      'http://reg.example',
      'http://reg.example/token',
      'the registry named the plain-http token realm http://reg.example/token',
    ],
    ['not a URL', 'https://reg.example', '/token', 'not a URL'],
    ['not http', 'https://reg.example', 'file:///etc/passwd', 'not http(s) (file:)'],
  ])('%s', (_, registry, realm, problem) => {
    const found = realmProblem(registry, realm);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('an https registry naming a plain-http realm gets no request there, and no password travels', async () => {
    const transport = new Transport({ retry: { retries: 0 } });
    const auth = new Authenticator({
      transport,
      credentials: staticCredentials({ 'reg.example': { username: 'alice', password: 'pa55-secret-word' } }),
      registryOrigin: () => 'https://reg.example',
    });
    await expect(
      auth.challenge(
        'reg.example',
        `Bearer realm="${other.url}/token",service="reg"`,
        ['repository:a:pull'],
        undefined,
      ),
    ).rejects.toThrow(`the registry named the plain-http token realm ${other.url}/token`);
    expect(other.requests).toEqual([]);
    await transport.close();
  });

  it('a 401 from another origin reached through a tag-list Link is not answered with the credentials', async () => {
    const basic = `Basic ${Buffer.from('alice:pa55-secret-word').toString('base64')}`;
    reg.challenge('Basic realm="reg"', (a) => a === basic);
    reg.tags('app', { pages: [['1.0.0']], linkTo: `${other.url}/v2/app/tags/list?page=1` });
    other.challenge(`Bearer realm="${other.url}/token",service="evil"`);
    const err = await client({
      credentials: staticCredentials({ [reg.host]: { username: 'alice', password: 'pa55-secret-word' } }),
    })
      .listTags({ registry: reg.host, repository: 'app' })
      .catch((e: Error) => e);
    expect((err as Error).message).toContain(
      `${other.host}, which is not ${reg.host} itself, asked for credentials (HTTP 401)`,
    );
    expect(other.requests.map((r) => [r.url, r.authorization])).toEqual([['/v2/app/tags/list?page=1', undefined]]);
    // the registry itself did get them
    expect(reg.requests.some((r) => r.authorization === basic)).toBe(true);
  });
});

describe('a tag listing stops at its bounds', () => {
  it('an endless listing ends at maxPages with an error, not a partial list', async () => {
    reg.tags('endless', { endless: { pageSize: 10 } });
    await expect(client().listTags({ registry: reg.host, repository: 'endless' }, { maxPages: 5 })).rejects.toThrow(
      'the registry kept sending pages: stopped after 5 (50 tags)',
    );
    expect(reg.requests).toHaveLength(5);
  });

  it('more tags than maxTags ends the listing', async () => {
    reg.tags('many', { endless: { pageSize: 1000 } });
    await expect(client().listTags({ registry: reg.host, repository: 'many' }, { maxTags: 2500 })).rejects.toThrow(
      'the repository has more than 2500 tags: stopped reading',
    );
    expect(reg.requests).toHaveLength(3);
  });

  it("compute-tags' deadline aborts the listing: no page is asked for after it", async () => {
    reg.tags('slow', { endless: { pageSize: 1000, delayMs: 40 } });
    const read = await readReleases(
      {
        gitTags: () => Promise.resolve([]),
        registryTags: (signal) => listRegistryTags({ registry: reg.host, repository: 'slow' }, { signal }),
      },
      { tagPrefix: '', imagePrefix: '', imageSuffix: '', registryName: 'registry slow', registryTimeoutMs: 300 },
    );
    expect(read.problems).toEqual([
      'The tags of registry slow could not be read (listing the tags of registry slow took longer than 300 ms)',
    ]);
    // a request already on its way when the deadline struck may still land: let it, then count
    await new Promise((r) => setTimeout(r, 100));
    const asked = reg.requests.length;
    expect(asked).toBeGreaterThan(0);
    // every page takes 40 ms to come: a listing still running would have asked for about ten more
    await new Promise((r) => setTimeout(r, 400));
    expect(reg.requests.length).toBe(asked);
  });

  it('an abort drops a request that never gets an answer', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const controller = new AbortController();
    const listing = listRegistryTags({ registry: host, repository: 'app' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    await expect(listing).rejects.toThrow(/listing tags of 127\.0\.0\.1:\d+\/app/);
    silent.closeAllConnections();
    await new Promise((r) => silent.close(r));
  });
});
