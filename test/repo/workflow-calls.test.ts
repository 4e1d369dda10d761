// Static wiring of every workflow and example: each call of one of our reusable workflows gives
// declared inputs of the right type, every required input, only declared secrets, and grants
// the permissions the called jobs ask for; each step of one of our actions gives inputs its
// action.yml declares and every required one; and every `steps.*.outputs.*`, `needs.*.outputs.*`
// and `jobs.*.outputs.*` an expression reads names a step, job and output that exist.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/run-action.js';
import { checkActionStep, checkReferences, checkWorkflowCall } from '../harness/workflow-checks.js';
import { type Job, loadWorkflow, ownActionName, ownWorkflowFile, type Workflow } from '../harness/workflow-model.js';

function ymlFiles(dir: string): string[] {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(abs, f));
}

const files = [...ymlFiles('.github/workflows'), ...ymlFiles('workflows-examples')];
const workflows = files.map(loadWorkflow);

describe.each(workflows.map((w) => [relative(repoRoot, w.file), w] as const))('%s', (_, w) => {
  it('reads only steps, jobs and outputs that exist', () => {
    expect(checkReferences(w)).toEqual([]);
  });

  it('gives our actions declared inputs and every required one', () => {
    const problems = Object.entries(w.jobs).flatMap(([jobId, job]) =>
      (job.steps ?? []).flatMap((s) => {
        const name = ownActionName(s.uses);
        return name ? checkActionStep(name, s.with ?? {}).map((p) => `${jobId}: ${p}`) : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('calls our reusable workflows with their inputs, secrets and permissions', () => {
    const problems = Object.entries(w.jobs).flatMap(([jobId, job]) => {
      const file = ownWorkflowFile(job.uses);
      if (!file) return [];
      if (!existsSync(file)) return [`${jobId}: ${relative(repoRoot, file)} does not exist`];
      return checkWorkflowCall(job, loadWorkflow(file)).map((p) => `${jobId}: ${p}`);
    });
    expect(problems).toEqual([]);
  });
});

describe('the checks find what is wrong', () => {
  const release = loadWorkflow(join(repoRoot, '.github/workflows/release.yml'));

  it.each([
    [{ with: { imag: 'x' } }, "input 'imag' is not declared"],
    [{ with: { image: 'x', 'ignore-unfixed': 'yes' } }, 'input \'ignore-unfixed\' is a boolean; given "yes" (string)'],
    [{ with: { image: 'x' }, secrets: { pasword: 'x' } }, "secret 'pasword' is not declared"],
    [
      { with: { image: 'x' }, permissions: { contents: 'read' } },
      "job 'build' asks for packages: write; the caller grants packages: none",
    ],
  ])('a call %j', (job, problem) => {
    expect(checkWorkflowCall(job as Job, release).join('\n')).toContain(problem);
  });

  it('a required reusable-workflow input left out', () => {
    const promote = loadWorkflow(join(repoRoot, '.github/workflows/promote.yml'));
    expect(checkWorkflowCall({ with: { image: 'x', targets: 'y' } }, promote)).toContain(
      "required input 'environment' is not given",
    );
  });

  it.each([
    [{ tag: 'x' }, "compute-tags: 'tag' is not an input"],
    [{}, "compute-tags: required input 'images' is not given"],
  ])('an action step with %j', (given, problem) => {
    expect(checkActionStep('compute-tags', given).join('\n')).toContain(problem);
  });

  it('a reference to an output that does not exist', () => {
    const broken: Workflow = {
      file: 'broken.yml',
      on: { workflow_call: { outputs: { d: { value: '${{ jobs.b.outputs.nope }}' } } } },
      jobs: {
        a: { outputs: { x: '${{ steps.meta.outputs.tag }}' }, steps: [{ id: 'meta', uses: './actions/compute-tags' }] },
        b: {
          needs: 'a',
          outputs: {},
          steps: [{ run: 'echo ${{ needs.a.outputs.y }} ${{ steps.later.outputs.z }}' }, { id: 'later', run: 'true' }],
        },
      },
    };
    expect(checkReferences(broken)).toEqual([
      "a outputs.x: step meta (./actions/compute-tags) has no output 'tag'",
      "b step 1 run: job a has no output 'y'",
      'b step 1 run: steps.later is not an earlier step of the job',
      "workflow output d: job b has no output 'nope'",
    ]);
  });
});
