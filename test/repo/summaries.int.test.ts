// Every action's job summary, from its bundle run the way the runner runs it with minimal valid
// inputs against the test stack, rendered with cmark-gfm as GitHub renders it: the text a reader
// sees holds no raw markdown (bold markers, backticks, pipe tables, heading or quote markers).
// Actions are found in actions/*/action.yml; one without runs here fails, so a new action gets
// its summary checked too.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../actions/promote/fixtures.js';
import { literalMarkdown, renderSummary, visibleText } from '../harness/cmark.js';
import { type RunOptions, repoRoot, runAction } from '../harness/run-action.js';

const stack = inject('stack');
const actions = readdirSync(join(repoRoot, 'actions')).filter((n) =>
  existsSync(join(repoRoot, 'actions', n, 'action.yml')),
);

const EVENT = {
  ref: 'refs/tags/v1.4.2',
  head_commit: { id: '860c1904a1ce19322e91ac35af1ab07466440c37', timestamp: '2026-11-20T10:00:00Z' },
  repository: { name: 'app', full_name: 'octo/app', html_url: 'https://github.com/octo/app', default_branch: 'main' },
};

interface SummaryRun {
  what: string;
  options: RunOptions;
  /** texts the rendered summary must show (so an empty summary cannot pass) */
  shows: string[];
}

let digest = '';
const host = () => stack.anonymous.host;

/** Minimal valid runs per action, each reaching a different part of its summary. */
const RUNS: Record<string, () => SummaryRun[]> = {
  'compute-tags': (): SummaryRun[] => [
    {
      what: 'a release tag',
      options: {
        inputs: { images: `${host()}/octo/app` },
        event: EVENT,
        env: { GITHUB_REF: EVENT.ref, GITHUB_REF_NAME: 'v1.4.2', GITHUB_REF_TYPE: 'tag' },
      },
      shows: ['Image tags', `${host()}/octo/app`, '1.4.2'],
    },
  ],
  'registry-login': (): SummaryRun[] => [
    {
      what: 'a static login',
      options: { inputs: { registry: host(), username: 'octo', password: 'not-a-real-secret-1', verify: 'none' } },
      shows: ['Registry login', host(), 'octo'],
    },
  ],
  'build-push': (): SummaryRun[] => [
    {
      what: 'a merge',
      options: { inputs: { merge: `${host()}/summary/app@${digest}`, tags: `${host()}/summary/merged:1` } },
      shows: ['Merged', `${host()}/summary/merged:1`, 'linux/amd64'],
    },
  ],
  promote: (): SummaryRun[] => [
    {
      what: 'a promotion',
      options: {
        inputs: {
          source: `${host()}/summary/app@${digest}`,
          targets: `${host()}/summary/prod:1.0.0`,
          'immutable-tags': '*.*.*',
        },
      },
      shows: ['Source:', digest, 'Immutable tags: *.*.*'],
    },
    {
      what: 'a refusal by the gates',
      options: {
        inputs: {
          source: `${host()}/summary/app@${digest}`,
          targets: `${host()}/summary/prod:2.0.0`,
          'require-signature': 'true',
        },
      },
      shows: ['Promotion refused by gates', 'Source:', 'FAILED'],
    },
  ],
  'retention-cleanup': (): SummaryRun[] => [
    {
      what: 'a dry run over more decisions than are shown open, beyond max-deletions',
      options: {
        inputs: {
          repositories: `${host()}/summary/many`,
          'keep-last': '2',
          'max-deletions': '3',
          'dry-run': 'true',
        },
      },
      shows: ['Retention cleanup (dry run)', 'Over max-deletions (3):', 'decisions', '--delete-untagged'],
    },
  ],
};

beforeAll(async () => {
  const url = stack.anonymous.url;
  digest = (await pushImage(url, 'summary/app', { tag: '1.0.0', created: '2026-10-01T00:00:00Z' })).manifest.digest;
  for (let i = 0; i < 24; i++) {
    await pushImage(url, 'summary/many', {
      tag: `build-${i}`,
      created: `2026-10-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
    });
  }
}, 120_000);

describe.each(actions)('the job summary of %s', (name) => {
  it('has runs here', () => {
    expect(RUNS[name], `add minimal runs for ${name} to RUNS in this file`).toBeDefined();
  });

  it('renders without raw markdown in every run', async () => {
    for (const run of RUNS[name]?.() ?? []) {
      const result = await runAction(name, { post: false, ...run.options });
      if (!run.what.includes('refusal')) expect(result.errors, run.what).toEqual([]);
      expect(result.summary, run.what).not.toBe('');
      const html = renderSummary(result.summary);
      // SUMMARY_HTML_DIR keeps each rendered summary as a page, to look at in a browser
      const keep = process.env.SUMMARY_HTML_DIR;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        const page = `<!doctype html><meta charset="utf-8"><title>${name}</title><body class="markdown-body">${html}</body>`;
        writeFileSync(join(keep, `${name}-${run.what.replace(/\W+/g, '-')}.html`), page);
      }
      const text = visibleText(html);
      expect(literalMarkdown(text), `${name}, ${run.what}:\n${result.summary}`).toEqual([]);
      for (const shown of run.shows) expect(text, `${name}, ${run.what}`).toContain(shown);
    }
  }, 120_000);
});
