// The one artifact uploader against a local fake of the results service: the two Twirp calls,
// the blob calls they hand out, the JWT scope; the bytes and SHA-256 that arrive; 409 on a second
// upload of a name; the GHES and outside-Actions fallbacks (no request at all).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactUploadError, artifactServiceMissing, artifactUploader } from '#shared/artifacts/upload.js';
import { type ResultsFake, startResultsFake } from '../../fakes/actions-results.js';

let fake: ResultsFake;
const saved = { ...process.env };

beforeAll(async () => {
  fake = await startResultsFake();
  // @actions/artifact reads its settings from the process environment
  Object.assign(process.env, {
    ACTIONS_RUNTIME_TOKEN: fake.token,
    ACTIONS_RESULTS_URL: `${fake.url}/`,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKSPACE: tmpdir(),
    ACTIONS_ARTIFACT_UPLOAD_CONCURRENCY: '2',
  });
});
afterAll(async () => {
  process.env = saved;
  await fake.close();
});

function unzipList(zip: Buffer): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'unzip-'));
  writeFileSync(join(dir, 'a.zip'), zip);
  const names = execFileSync('zipinfo', ['-1', join(dir, 'a.zip')], { encoding: 'utf8' })
    .trim()
    .split('\n');
  return Object.fromEntries(
    names.map((n) => [n, execFileSync('unzip', ['-p', join(dir, 'a.zip'), n], { encoding: 'utf8' })]),
  );
}

describe('artifactUploader', () => {
  it('uploads the files as one zip; the service gets the bytes and their SHA-256', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    writeFileSync(join(dir, 'plan.json'), '{"repositories":[]}\n');
    writeFileSync(join(dir, 'restore.json'), '{"manifests":[]}\n');
    const result = await artifactUploader(process.env).upload(
      'retention-cleanup-plan',
      [join(dir, 'plan.json'), join(dir, 'restore.json')],
      dir,
    );
    const stored = fake.artifacts.find((a) => a.name === 'retention-cleanup-plan');
    expect(stored).toBeDefined();
    const sha = createHash('sha256').update(stored!.bytes).digest('hex');
    expect(stored!.hash).toBe(`sha256:${sha}`);
    expect(stored!.size).toBe(stored!.bytes.length);
    expect(result).toEqual({
      uploaded: true,
      id: stored!.id,
      size: stored!.bytes.length,
      digest: `sha256:${sha}`,
      note: `Uploaded artifact 'retention-cleanup-plan' (plan.json, restore.json, ${stored!.bytes.length} bytes, ID ${stored!.id}).`,
    });
    expect(unzipList(stored!.bytes)).toEqual({
      'plan.json': '{"repositories":[]}\n',
      'restore.json': '{"manifests":[]}\n',
    });
    expect(fake.calls.filter((c) => !c.startsWith('Get'))).toEqual([
      'CreateArtifact',
      'PutBlock',
      'PutBlockList',
      'FinalizeArtifact',
    ]);
  });

  it('a second upload of the same name is a 409 and a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    writeFileSync(join(dir, 'report.json'), '{}');
    await artifactUploader(process.env).upload('trivy-scan', [join(dir, 'report.json')], dir);
    const again = artifactUploader(process.env).upload('trivy-scan', [join(dir, 'report.json')], dir);
    await expect(again).rejects.toThrow(ArtifactUploadError);
    await expect(artifactUploader(process.env).upload('trivy-scan', [join(dir, 'report.json')], dir)).rejects.toThrow(
      "uploading artifact 'trivy-scan': an artifact of that name already exists in this workflow run (give each job its own artifact name)",
    );
    expect(fake.artifacts.filter((a) => a.name === 'trivy-scan')).toHaveLength(1);
  });

  it.each([
    [
      { ACTIONS_RUNTIME_TOKEN: undefined },
      'the artifact service is not available to this process (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set)',
    ],
    [
      { ACTIONS_RESULTS_URL: undefined },
      'the artifact service is not available to this process (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set)',
    ],
    [
      { GITHUB_SERVER_URL: 'https://ghes.acme.internal' },
      '@actions/artifact does not support GitHub Enterprise Server (ghes.acme.internal)',
    ],
  ] as Array<[Record<string, string | undefined>, string]>)(
    'falls back to the files in place with a note: %j',
    async (change, why) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...change };
      for (const [k, v] of Object.entries(change)) if (v === undefined) delete env[k];
      expect(artifactServiceMissing(env)).toBe(why);
      const before = fake.calls.length;
      const r = await artifactUploader(env).upload('x', ['/tmp/run/plan.json', '/tmp/run/restore.json'], '/tmp/run');
      expect(r).toEqual({
        uploaded: false,
        note: `Artifact 'x' was not uploaded: ${why}. The files stay at /tmp/run/plan.json, /tmp/run/restore.json; upload them with actions/upload-artifact to keep them after the job.`,
      });
      expect(fake.calls.length).toBe(before);
    },
  );

  it('GHE.com data residency hosts are supported', () => {
    expect(artifactServiceMissing({ ...process.env, GITHUB_SERVER_URL: 'https://acme.ghe.com' })).toBeUndefined();
  });
});
