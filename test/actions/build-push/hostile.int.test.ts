// build-push against hostile content and careless inputs: an image config whose os carries a
// workflow command (merge), a malformed secrets line, and a missing secret file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileRegistry, startHostileRegistry } from '../../fakes/hostile-registry.js';
import { runAction } from '../../harness/run-action.js';
import { runnerCommands } from '../../harness/workflow-commands.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const TOKEN = 'npm_Zq81bXc0aLr5TtY2mW9vE4kP6sH3jD7fG1nQ';
let reg: HostileRegistry;

beforeAll(async () => {
  reg = await startHostileRegistry();
});
afterAll(async () => {
  await reg?.close();
});

describe('build-push merge with a hostile image config', () => {
  it('an os with a workflow command is refused before anything is pushed', async () => {
    const config = reg.blob('app', { architecture: 'arm64', os: 'linux\n::warning::INJECTED-os', rootfs: {} });
    const digest = reg.manifest('app', {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 80 },
      layers: [],
    });
    const r = await runAction('build-push', {
      inputs: { merge: `${reg.host}/app@${digest}`, tags: `${reg.host}/app:merged` },
    });
    expect(runnerCommands(r.stdout).filter((c) => c.data.startsWith('INJECTED'))).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `reading the image config of ${reg.host}/app@${digest}: its platform os "linux\\n::warning::INJECTED-os" is not a platform name`,
    ]);
    expect(reg.requests.filter((q) => q.method !== 'GET' && q.method !== 'HEAD')).toEqual([]);
  });
});

describe('build-push secrets', () => {
  it('a malformed secrets line is masked before the error, which does not quote it', async () => {
    const r = await runAction('build-push', { inputs: { secrets: `GOOD=1\nNPM_TOKEN: ${TOKEN}`, push: false } });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      "Input 'secrets': line 2 (not shown: it may hold a secret) is not an id=value line (expected one id=value per line)",
    ]);
    const maskAt = r.stdout.indexOf(`::add-mask::NPM_TOKEN: ${TOKEN}`);
    expect(maskAt).toBeGreaterThanOrEqual(0);
    expect(maskAt).toBeLessThan(r.stdout.indexOf('::error::'));
    const elsewhere = r.everything.split('\n').filter((l) => l.includes(TOKEN) && !l.startsWith('::add-mask::'));
    expect(elsewhere).toEqual([]);
  });

  it('a missing secret file: nothing is written, and nothing is left in RUNNER_TEMP after main and post', async () => {
    const r = await runAction('build-push', {
      inputs: { secrets: `token=${TOKEN}`, 'secret-files': 'npmrc=missing/.npmrc', push: false },
    });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual(["Input 'secret-files': secret 'npmrc': file missing/.npmrc does not exist"]);
    expect(r.post?.code).toBe(0);
    expect(readdirSync(join(r.dir, 'runner-temp'))).toEqual([]);
    expect(r.everything.split('\n').filter((l) => l.includes(TOKEN) && !l.startsWith('::add-mask::'))).toEqual([]);
  });
});
