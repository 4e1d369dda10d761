// retention-cleanup hands its plan and restore files to the suite's artifact uploader: through
// the bundle, against a local fake of the results service, and the GHES fallback.
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifactFiles, type ResultsFake, startResultsFake } from '../../fakes/actions-results.js';
import { runAction } from '../../harness/run-action.js';
import { pushDb } from '../../shared/trivy/db-artifact.js';

const stack = inject('stack');
let fake: ResultsFake;
const repository = `upload/app-${Date.now()}`;

beforeAll(async () => {
  fake = await startResultsFake();
  // any manifest under a kept tag is enough for a plan
  await pushDb(stack.anonymous.host, repository, 'latest', 'db', 64, 'plan');
});
afterAll(() => fake.close());

describe('retention-cleanup plan upload', () => {
  it("uploads plan.json and restore.json as one artifact named after the step's own directory", async () => {
    const r = await runAction('retention-cleanup', {
      inputs: { repositories: `${stack.anonymous.host}/${repository}`, provider: 'oci', 'dry-run': 'true' },
      env: { ACTIONS_RUNTIME_TOKEN: fake.token, ACTIONS_RESULTS_URL: fake.url },
    });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    const name = basename(dirname(r.outputs['plan-file'] as string));
    expect(name).toMatch(/^retention-cleanup-.+-.+$/);
    const stored = fake.artifacts.find((a) => a.name === name);
    expect(stored).toBeDefined();
    expect(artifactFiles(stored!.bytes)).toEqual({
      'plan.json': readFileSync(r.outputs['plan-file'] as string, 'utf8'),
      'restore.json': readFileSync(r.outputs['restore-file'] as string, 'utf8'),
    });
    expect(r.summary).toContain(`Uploaded artifact '${name}' (plan.json, restore.json`);
    expect(r.everything.replace(/::add-mask::.*\n/g, '')).not.toContain(fake.token);
  });

  it('on GHES the files stay in RUNNER_TEMP and the summary says how to upload them', async () => {
    const before = fake.calls.length;
    const r = await runAction('retention-cleanup', {
      inputs: { repositories: `${stack.anonymous.host}/${repository}`, provider: 'oci', 'dry-run': 'true' },
      env: {
        ACTIONS_RUNTIME_TOKEN: fake.token,
        ACTIONS_RESULTS_URL: fake.url,
        GITHUB_SERVER_URL: 'https://ghes.acme.internal',
      },
    });
    expect(r.code).toBe(0);
    expect(fake.calls.length).toBe(before);
    const name = basename(dirname(r.outputs['plan-file'] as string));
    expect(r.summary).toContain(
      `Artifact '${name}' was not uploaded: @actions/artifact does not support GitHub Enterprise Server (ghes.acme.internal).`,
    );
  });
});
