// Every action's job summary, from its bundle run the way the runner runs it with minimal valid
// inputs against the test stack, rendered with cmark-gfm as GitHub renders it: the text a reader
// sees holds no raw markdown (bold markers, backticks, pipe tables, heading or quote markers).
// Actions are found in actions/*/action.yml; one without runs here fails, so a new action gets
// its summary checked too.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { pushImage } from '../actions/promote/fixtures.js';
import { IMAGE_DIGEST, pushScanDb, scanRun, trivyReports } from '../actions/trivy-scan/fixtures.js';
import { literalMarkdown, renderSummary, visibleText, withoutPreformatted } from '../harness/cmark.js';
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
  /** the run ends in an error on purpose (a refusal, a failed gate) */
  fails?: boolean;
}

let digest = '';
/** an image of its own for sbom-sign, so that promote's signature gate still finds summary/app unsigned */
let signed = '';
const sboms = join(repoRoot, '../shared/fixtures/sbom');
const WORKFLOW_ENV = {
  GITHUB_WORKFLOW_REF: 'octo/app/.github/workflows/release.yml@refs/tags/v1.4.2',
  GITHUB_REPOSITORY_ID: '123456',
};
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
      fails: true,
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
  'trivy-scan': (): SummaryRun[] => [
    {
      what: 'a passing scan',
      options: scanRun(host(), { inputs: { 'max-critical': '', 'ignore-unfixed': 'true' } }).options,
      shows: [
        `Trivy scan of ${host()}/acme/api@${IMAGE_DIGEST}`,
        'Passed (limits: no limits).',
        'fueltime-fueltime:latest (debian 13.2)',
        'Top 20 of 46 findings',
        '27 findings without a fix were left out (ignore-unfixed).',
        'database updated 2026-12-06T06:00:00.000Z',
      ],
    },
    {
      what: 'a gate failure with exemptions',
      options: scanRun(host(), {
        report: 'xyz-tile-cache-1.json',
        inputs: {
          exemptions: [
            'CVE-2026-41293 until 2099-01-31 reason not reachable in our use',
            'CVE-2026-43512 until 2020-01-01',
          ].join('\n'),
        },
      }).options,
      shows: [
        'Failed: 2 critical (limit 0)',
        'Total',
        'Top 5 of 5 findings',
        // table cells run together in the text: exemption, package, until, state, findings, reason
        'CVE-2026-41293any2099-01-31applied1not reachable in our use',
        'CVE-2026-43512any2020-01-01expired1',
      ],
      fails: true,
    },
  ],
  'sbom-sign': (): SummaryRun[] => [
    {
      what: 'signing by key with SBOM, provenance and vulnerability attestations',
      options: {
        inputs: {
          image: `${host()}/summary/signed@${signed}`,
          sbom: join(sboms, 'syft-spdx-2.3-alpine.json'),
          key: join(repoRoot, 'test/fixtures/sigstore/cosign.key'),
          'key-password': 'correct horse battery',
          attest: 'sbom,provenance,vuln',
          'vuln-report': join(trivyReports, 'FuelTime-1.json'),
        },
        env: WORKFLOW_ENV,
      },
      shows: [
        'SBOM and signatures',
        `Image ${host()}/summary/signed@${signed}`,
        'SPDX-2.3',
        `sha256-${signed.slice('sha256:'.length)}.sig`,
        'https://slsa.dev/provenance/v1',
        `cosign verify --key cosign.pub --insecure-ignore-tlog=true '${host()}/summary/signed@${signed}'`,
        '--type vuln',
      ],
    },
    {
      what: 'an SBOM alone (sign none)',
      options: {
        inputs: {
          image: `${host()}/summary/signed@${signed}`,
          sbom: join(sboms, 'trivy-cyclonedx-1.6-nginx.json'),
          'sbom-format': 'cyclonedx-json',
          sign: 'none',
          attest: 'none',
        },
        env: WORKFLOW_ENV,
      },
      shows: ['SBOM and signatures', 'CycloneDX 1.6', 'GPL-2.0-only (76)'],
    },
  ],
  'gitops-update': (): SummaryRun[] => [
    {
      what: 'a dry run in the workspace',
      options: {
        workspace: deployWorkspace(),
        inputs: { image: 'ghcr.io/octo/app', tag: '1.4.2', files: 'deploy/*.yaml', mode: 'none', 'dry-run': 'true' },
      },
      shows: [
        'gitops-update: ghcr.io/octo/app (dry run)',
        'deploy/app.yaml:12',
        // the diff in one block, its blank context line and markdown characters kept as they are
        '-          image: ghcr.io/octo/app:1.4.1 # set by the *release* workflow\n' +
          '+          image: ghcr.io/octo/app:1.4.2 # set by the *release* workflow\n \n           ports:',
      ],
    },
    {
      what: 'an edit in the workspace for a later step',
      options: {
        workspace: deployWorkspace(),
        inputs: { image: 'ghcr.io/octo/app', tag: '1.4.2', files: 'deploy/*.yaml', mode: 'none' },
      },
      shows: [
        'gitops-update: ghcr.io/octo/app',
        'ghcr.io/octo/app:1.4.1',
        'ghcr.io/octo/app:1.4.2',
        '--- a/deploy/app.yaml',
      ],
    },
  ],
};

/** A workspace with one deployment whose diff holds markdown characters and a blank line. */
function deployWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'summary-gitops-'));
  mkdirSync(join(dir, 'deploy'));
  writeFileSync(
    join(dir, 'deploy', 'app.yaml'),
    [
      '# Deployed from `octo/app` | see **docs**',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: app',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        # ## the application',
      '        - name: app',
      '          image: ghcr.io/octo/app:1.4.1 # set by the *release* workflow',
      '',
      '          ports:',
      '            - containerPort: 8080',
      '',
    ].join('\n'),
  );
  return dir;
}

beforeAll(async () => {
  await pushScanDb(host());
  const url = stack.anonymous.url;
  digest = (await pushImage(url, 'summary/app', { tag: '1.0.0', created: '2026-10-01T00:00:00Z' })).manifest.digest;
  signed = (await pushImage(url, 'summary/signed', { tag: '1.0.0', created: '2026-10-02T00:00:00Z' })).manifest.digest;
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
      if (!run.fails) expect(result.errors, run.what).toEqual([]);
      else expect(result.errors, run.what).not.toEqual([]);
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
      expect(
        literalMarkdown(visibleText(withoutPreformatted(html))),
        `${name}, ${run.what}:\n${result.summary}`,
      ).toEqual([]);
      for (const shown of run.shows) expect(text, `${name}, ${run.what}`).toContain(shown);
    }
  }, 120_000);
});
