// Every bundle in dist/, every input of its action.yml, each hostile payload in turn: the step
// may fail (exit 1 with exactly one `::error::`) or pass (exit 0), but the runner must find no
// workflow command the action did not mean to issue, no stack trace, and file commands
// (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) that read back as the action wrote them. Bundles and
// inputs are discovered, so a new action is covered the day its bundle is built.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type PhaseResult, repoRoot, runAction } from '../harness/run-action.js';
import { runnerCommands } from '../harness/workflow-commands.js';

const MARK = 'INJECTED';

/** Each payload tries one way of turning a value into a command, a forged line or a broken file. */
const PAYLOADS: Array<[string, string]> = [
  ['newline + warning', `v1\n::warning::${MARK}-newline`],
  ['CRLF + set-output', `v1\r\n::set-output name=pwned::${MARK}-crlf`],
  ['lone CR + save-state', `v1\r::save-state name=cleanup::["/"]${MARK}`],
  ['percent-encoded newline', `v1%0A::warning::${MARK}-percent`],
  ['legacy ##[ form', `v1 ##[warning]${MARK}-legacy`],
  ['leading blanks', `   ::error::${MARK}-blanks`],
  ['stop-commands', `::stop-commands::pwned\n::warning::${MARK}-stop`],
  ['ANSI escapes', `\u001b[2K\u001b[1A\u001b[31m::warning::${MARK}-ansi\u001b[0m`],
  ['line separator', `v1\u2028::warning::${MARK}-u2028`],
  ['100 kB', `${'A'.repeat(100_000)}\n::warning::${MARK}-big`],
  ['broken YAML', `- registry: [unclosed\n  key: {a: ::warning::${MARK}-yaml\n\t- *alias`],
  ['heredoc delimiter', `x\nghadelimiter_00000000-0000-0000-0000-000000000000\npwned<<EOF\n${MARK}-heredoc\nEOF`],
  ['dot-dot paths', '../../../../../../etc/passwd\n../..\n..'],
];

const ALLOWED = new Set(['debug', 'notice', 'warning', 'error', 'group', 'endgroup', 'add-mask', 'stop-commands']);
const OWN_STOP_TOKEN = /^stop-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

interface ActionYml {
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

const actions = readdirSync(join(repoRoot, 'dist')).filter(
  (n) => existsSync(join(repoRoot, 'dist', n, 'index.js')) && existsSync(join(repoRoot, 'actions', n, 'action.yml')),
);

function meta(name: string): ActionYml {
  return parseYaml(readFileSync(join(repoRoot, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;
}

/** The file's lines must be exactly `name<<delimiter`, value lines, `delimiter`, block after block. */
function fileCommandProblems(path: string): string[] {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const lines = text.split('\n');
  const problems: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '' && i === lines.length - 1) break;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)<<(ghadelimiter_[0-9a-f-]{36})$/.exec(line);
    if (!m) {
      problems.push(`line ${i + 1} is not a heredoc start: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const end = lines.indexOf(m[2] as string, i + 1);
    if (end < 0) problems.push(`the block of ${m[1]} never ends`);
    i = end < 0 ? lines.length : end;
  }
  return problems;
}

function phaseProblems(phase: PhaseResult, label: string, payload: string): string[] {
  const problems: string[] = [];
  // a secret input is masked whole and line by line: those masks are the action's own
  const ownMasks = new Set([payload, ...payload.split(/\r?\n/).map((l) => l.trim())]);
  for (const c of runnerCommands(phase.stdout)) {
    const own = ALLOWED.has(c.name) || OWN_STOP_TOKEN.test(c.name);
    if (c.legacy || !own) problems.push(`${label}: the runner would run ${JSON.stringify(c.line.slice(0, 120))}`);
    else if (
      c.name === 'add-mask' &&
      ownMasks.has(c.data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
    ) {
      // masked as meant
    } else if (c.data.startsWith(MARK) || c.properties.includes(MARK)) {
      problems.push(`${label}: injected ${c.name} ${JSON.stringify(c.line.slice(0, 120))}`);
    } else if (c.name === 'stop-commands' && !OWN_STOP_TOKEN.test(c.data)) {
      problems.push(`${label}: a stop-commands the action did not write: ${JSON.stringify(c.line.slice(0, 120))}`);
    }
  }
  const nonDebug = phase.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::debug::'))
    .join('\n');
  if (STACK_LINE.test(nonDebug) || STACK_LINE.test(phase.stderr)) problems.push(`${label}: a stack trace`);
  if (phase.code === 0) {
    if (phase.errors.length > 0) problems.push(`${label}: exit 0 with ${phase.errors.length} ::error::`);
  } else if (phase.code !== 1 || phase.errors.length !== 1) {
    problems.push(
      `${label}: exit ${phase.code} with ${phase.errors.length} ::error:: (${phase.stderr.slice(0, 200)}${phase.errors.join(' | ').slice(0, 200)})`,
    );
  }
  return problems;
}

// Nothing may leave this machine: every proxied request meets a closed port, docker has no daemon.
const ISOLATED_ENV = {
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '',
  DOCKER_HOST: 'unix:///nonexistent/docker.sock',
  // and a direct connection to a name (a tool download) fails at the lookup
  NODE_OPTIONS: `--import=${join(import.meta.dirname, '../harness/loopback-only.mjs')}`,
};

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe('hostile input payloads', () => {
  it('discovers every built action', () => {
    expect(actions.length).toBeGreaterThan(0);
    for (const name of actions) expect(Object.keys(meta(name).inputs ?? {}).length, name).toBeGreaterThan(0);
  });

  describe.each(actions)('%s', (name) => {
    const yml = meta(name);
    const declared = new Set(Object.keys(yml.outputs ?? {}));
    it.each(Object.keys(yml.inputs ?? {}))(
      'input %s: no injected command, no stack trace, one error at most',
      async (input) => {
        const problems: string[] = [];
        await pool(PAYLOADS, 2, async ([label, payload]) => {
          const result = await runAction(name, { inputs: { [input]: payload }, env: ISOLATED_ENV, timeoutMs: 90_000 });
          try {
            const where = `${input} = ${label}`;
            problems.push(...phaseProblems(result, `${where} (main)`, payload));
            if (result.post) problems.push(...phaseProblems(result.post, `${where} (post)`, payload));
            for (const key of Object.keys(result.outputs)) {
              if (!declared.has(key)) problems.push(`${where}: output '${key}' is not declared in action.yml`);
            }
            for (const file of ['output', 'state', 'env']) {
              for (const p of fileCommandProblems(join(result.dir, file))) problems.push(`${where}: ${file}: ${p}`);
            }
          } finally {
            rmSync(result.dir, { recursive: true, force: true });
          }
        });
        expect(problems).toEqual([]);
      },
      600_000,
    );
  });
});
