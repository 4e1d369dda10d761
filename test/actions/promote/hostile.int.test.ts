// promote against a registry that lies: a media type or a referrer's artifactType carrying a
// line break and a workflow command (the attack of anyone who can push a `sha256-<hex>` tag to
// the source repository) ends in one clean error, and the runner finds no command the action
// did not write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileRegistry, startHostileRegistry } from '../../fakes/hostile-registry.js';
import { runAction } from '../../harness/run-action.js';
import { runnerCommands } from '../../harness/workflow-commands.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
let reg: HostileRegistry;

beforeAll(async () => {
  reg = await startHostileRegistry();
});
afterAll(async () => {
  await reg?.close();
});

function image(repo: string, tag: string, mediaType = OCI_MANIFEST): string {
  const config = reg.blob(repo, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  return reg.manifest(
    repo,
    {
      schemaVersion: 2,
      mediaType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 64 },
      layers: [],
    },
    { tags: [tag], contentType: OCI_MANIFEST },
  );
}

function injected(stdout: string): string[] {
  return runnerCommands(stdout)
    .filter(
      (c) => c.data.startsWith('INJECTED') || !['debug', 'group', 'endgroup', 'error', 'add-mask'].includes(c.name),
    )
    .map((c) => c.line);
}

describe('promote and hostile registry strings', () => {
  it("the source's mediaType with a line break is refused in one error", async () => {
    image('app', 'mt', `${OCI_MANIFEST}\n::warning::INJECTED-mediatype`);
    const r = await runAction('promote', {
      inputs: { source: `${reg.host}/app:mt`, targets: `${reg.host}/app:prod`, 'dry-run': true },
    });
    expect(injected(r.stdout)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `getting manifest ${reg.host}/app:mt: the manifest's mediaType "${OCI_MANIFEST}\\n::warning::INJECTED-mediatype" is not a media type`,
    ]);
  });

  it('a sha256-<hex> referrers tag whose entry has a hostile artifactType fails the signature gate cleanly', async () => {
    const digest = image('signed', 'v1');
    const sig = reg.manifest('signed', { schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] });
    reg.manifest(
      'signed',
      {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: sig,
            size: 10,
            artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json\n::save-state name=cleanup::INJECTED',
          },
        ],
      },
      { tags: [digest.replace(':', '-')], contentType: OCI_INDEX },
    );
    const r = await runAction('promote', {
      inputs: {
        source: `${reg.host}/signed:v1`,
        targets: `${reg.host}/signed:prod`,
        'require-signature': true,
        'dry-run': true,
      },
    });
    expect(injected(r.stdout)).toEqual([]);
    expect(r.state).not.toHaveProperty('cleanup');
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `Promotion of ${reg.host}/signed:v1 refused, nothing was written: require-signature: the check failed: reading descriptor "${sig}": its artifactType "application/vnd.dev.sigstore.bundle.v0.3+json\\n::save-state name=cleanup::INJECTE…" is not a media type`,
    ]);
  });
});
