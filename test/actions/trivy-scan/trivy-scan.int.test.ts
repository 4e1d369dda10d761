// trivy-scan through its bundle, the way the runner runs it: a stand-in trivy (trivy-path) that
// writes the recorded reports, and Trivy databases pushed with Trivy's media types to the test
// stack's registry and fetched by the action's own registry client.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { startResultsFake } from '../../fakes/actions-results.js';
import { startFake } from '../../fakes/server.js';
import { runAction } from '../../harness/run-action.js';
import { type PushedDb, pushDb } from '../../shared/trivy/db-artifact.js';
import { startReleaseMirror } from '../../shared/trivy/release-mirror.js';

const stack = inject('stack');
const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/trivy');
const standIn = join(import.meta.dirname, '../../fixtures/trivy/stand-in-trivy.mjs');
const IMAGE_DIGEST = `sha256:${'ab'.repeat(32)}`;

let db: PushedDb;
let java: PushedDb;
let image: PushedDb;

beforeAll(async () => {
  db = await pushDb(stack.anonymous.host, 'aquasecurity/trivy-db', '2', 'db', 64 * 1024, 'scan');
  java = await pushDb(stack.anonymous.host, 'aquasecurity/trivy-java-db', '1', 'java-db', 2048, 'java');
  // any manifest will do as the image: the stand-in does not read it
  image = await pushDb(stack.anonymous.host, 'acme/api', 'v1.4.0', 'db', 100, 'image');
});

interface Scan {
  inputs?: Record<string, string>;
  report?: string;
  mode?: string;
  env?: Record<string, string>;
}

async function scan({ inputs = {}, report = 'FuelTime-1.json', mode, env = {} }: Scan) {
  const dir = mkdtempSync(join(tmpdir(), 'trivy-scan-test-'));
  const log = join(dir, 'argv.log');
  const result = await runAction('trivy-scan', {
    inputs: {
      image: `${stack.anonymous.host}/acme/api@${IMAGE_DIGEST}`,
      'trivy-path': standIn,
      'db-repository': `${stack.anonymous.host}/aquasecurity/trivy-db:2`,
      'java-db-repository': '',
      'cache-dir': join(dir, 'cache'),
      ...inputs,
    },
    env: {
      STANDIN_TRIVY_LOG: log,
      STANDIN_TRIVY_REPORT: join(fixtures, report),
      ...(mode ? { STANDIN_TRIVY_MODE: mode } : {}),
      ...env,
    },
  });
  const argv = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[])
    : [];
  return { ...result, argv, tmp: dir };
}

describe('trivy-scan bundle', () => {
  it('runs trivy once with exactly these flags, fails the gate, and writes every output first', async () => {
    const r = await scan({ inputs: { sarif: 'out/trivy.sarif', 'format-extra': 'table' } });
    const report = join(r.dir, 'runner-temp', 'trivy-scan', 'report.json');
    const scanned = `${stack.anonymous.host}/acme/api@${IMAGE_DIGEST}`;
    const workspace = join(r.dir, 'workspace');
    expect(r.argv).toEqual([
      ['--version'],
      [
        'image',
        '--format',
        'json',
        '--output',
        report,
        '--cache-dir',
        join(r.tmp, 'cache'),
        '--skip-db-update',
        '--skip-java-db-update',
        '--skip-version-check',
        '--scanners',
        'vuln,secret',
        '--severity',
        'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
        '--list-all-pkgs',
        '--exit-code',
        '0',
        '--quiet',
        scanned,
      ],
      ['convert', '--format', 'sarif', '--output', join(workspace, 'out/trivy.sarif'), '--quiet', report],
      [
        'convert',
        '--format',
        'table',
        '--output',
        join(r.dir, 'runner-temp', 'trivy-scan', 'report.txt'),
        '--quiet',
        report,
      ],
    ]);
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([`scanning ${scanned}: Failed: 3 critical (limit 0) (limits: critical ≤ 0).`]);
    expect(r.outputs).toEqual({
      critical: '3',
      high: '15',
      medium: '55',
      low: '0',
      unknown: '0',
      passed: 'false',
      exempted: '[]',
      report,
      sarif: join(workspace, 'out/trivy.sarif'),
      digest: IMAGE_DIGEST,
      'db-digest': db.digest,
    });
    // the SARIF holds every finding of the report, whatever the gate
    const sarif = JSON.parse(readFileSync(join(workspace, 'out/trivy.sarif'), 'utf8'));
    expect(sarif.runs[0].results).toHaveLength(74);
    expect(r.summary).toContain('Failed: 3 critical (limit 0) (limits: critical ≤ 0).');
    expect(r.summary).toContain(
      '<td>fueltime-fueltime:latest (debian 13.2)</td><td>os-pkgs</td><td>3</td><td>13</td><td>52</td><td>0</td><td>0</td>',
    );
    expect(r.summary).toContain('<td>Python</td><td>lang-pkgs</td><td>0</td><td>2</td><td>3</td><td>0</td><td>0</td>');
    expect(r.summary).toContain('Top 20 of 73 findings');
    expect(r.summary).toContain('database updated 2026-12-06T06:00:00.000Z');
    expect(r.stdout).toContain(`downloading ${stack.anonymous.host}/aquasecurity/trivy-db@${db.digest}`);
  });

  it('policy warn passes with a warning; policy allow reports only', async () => {
    const warn = await scan({ inputs: { policy: 'warn', 'max-high': '3' } });
    expect(warn.code).toBe(0);
    expect(warn.outputs.passed).toBe('false');
    expect(warn.warnings).toEqual([
      'Limits broken, reported as a warning (policy warn): 3 critical (limit 0), 15 high (limit 3) (limits: critical ≤ 0, high ≤ 3).',
    ]);
    const allow = await scan({ inputs: { policy: 'allow' } });
    expect(allow.code).toBe(0);
    expect(allow.outputs.passed).toBe('false');
    expect(allow.warnings).toEqual([]);
    expect(allow.summary).toContain('not enforced (policy allow)');
  });

  it('ignore-unfixed and exact limits: 3 critical under limit 3 passes', async () => {
    const r = await scan({ inputs: { 'ignore-unfixed': 'true', 'max-critical': '3', 'max-high': '11' } });
    expect(r.code).toBe(0);
    expect([r.outputs.critical, r.outputs.high, r.outputs.medium, r.outputs.passed]).toEqual(['3', '11', '32', 'true']);
    expect(r.summary).toContain('27 findings without a fix were left out (ignore-unfixed).');
  });

  it('empty max-critical means no limit', async () => {
    const r = await scan({ inputs: { 'max-critical': '' } });
    expect(r.code).toBe(0);
    expect(r.outputs.passed).toBe('true');
  });

  it('exemptions: applied ones do not count, an expired one counts again and is reported', async () => {
    const r = await scan({
      report: 'xyz-tile-cache-1.json',
      inputs: {
        exemptions: [
          'CVE-2026-41293 until 2099-01-31 reason not reachable in our use',
          'CVE-2026-43512 until 2020-01-01',
          'CVE-2026-43515 pkg=not-this-package',
        ].join('\n'),
      },
    });
    const report = JSON.parse(readFileSync(join(fixtures, 'xyz-tile-cache-1.json'), 'utf8'));
    const crit = report.Results.flatMap(
      (x: { Vulnerabilities?: Array<{ VulnerabilityID: string; Severity: string }> }) => x.Vulnerabilities ?? [],
    )
      .filter((v: { Severity: string }) => v.Severity === 'CRITICAL')
      .map((v: { VulnerabilityID: string }) => v.VulnerabilityID);
    expect(crit.sort()).toEqual(['CVE-2026-41293', 'CVE-2026-43512', 'CVE-2026-43515']);
    expect(r.code).toBe(1);
    expect(r.outputs.critical).toBe('2');
    expect(JSON.parse(r.outputs.exempted ?? '')).toEqual([
      {
        id: 'CVE-2026-41293',
        pkg: null,
        until: '2099-01-31',
        reason: 'not reachable in our use',
        expired: false,
        findings: 1,
      },
      { id: 'CVE-2026-43515', pkg: 'not-this-package', until: null, reason: null, expired: false, findings: 0 },
      { id: 'CVE-2026-43512', pkg: null, until: '2020-01-01', reason: null, expired: true, findings: 1 },
    ]);
    expect(r.warnings).toContain(
      "Exemption 'CVE-2026-43512 until 2020-01-01' expired on 2020-01-01: it no longer exempts anything (1 finding(s) now count)",
    );
    expect(r.summary).toContain('<td>CVE-2026-43512</td><td>any</td><td>2020-01-01</td><td>expired</td>');
  });

  it('an end-of-support OS is a warning, and a failure with fail-on-eosl', async () => {
    const w = await scan({ report: 'shopping-demo-1.json' });
    expect(w.code).toBe(0);
    expect(w.warnings).toEqual([
      `alpine 3.18.12 in ${stack.anonymous.host}/acme/api@${IMAGE_DIGEST} has reached its end of support and gets no more security fixes`,
    ]);
    const f = await scan({ report: 'shopping-demo-1.json', inputs: { 'fail-on-eosl': 'true' } });
    expect(f.code).toBe(1);
    expect(f.outputs.passed).toBe('true');
    expect(f.errors.at(-1)).toContain('alpine 3.18.12 has reached its end of support (fail-on-eosl)');
  });

  it.each([
    ['truncated', /^scanning .*@sha256:[0-9a-f]{64}: The Trivy report .*report\.json is cut off after 3000 bytes/],
    [
      'log-lines',
      /The Trivy report .*report\.json does not start with JSON: it starts with "2026-05-20T07:51:25Z\\tINFO/,
    ],
    ['crash', /^running trivy image .*: exit code 2: panic: runtime error: invalid memory address/],
  ])('a broken run (%s) is a clear error, never zero vulnerabilities', async (mode, message) => {
    const r = await scan({ mode });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
    expect(r.outputs.critical).toBeUndefined();
    expect(r.outputs.passed).toBeUndefined();
  });

  it('scans a local layout with --input and passes the joined ignore files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'layout-'));
    writeFileSync(join(dir, 'a.trivyignore'), 'CVE-2026-1\n# comment');
    writeFileSync(join(dir, 'b.trivyignore'), 'CVE-2026-2\n');
    const r = await scan({
      inputs: {
        image: '',
        input: join(dir, 'image.tar'),
        'max-critical': '',
        trivyignore: `${join(dir, 'a.trivyignore')}\n${join(dir, 'b.trivyignore')}`,
      },
    });
    expect(r.code).toBe(0);
    const scanArgs = r.argv[1] ?? [];
    expect(scanArgs.slice(-2)).toEqual(['--input', join(dir, 'image.tar')]);
    const ignore = scanArgs[scanArgs.indexOf('--ignorefile') + 1] as string;
    expect(readFileSync(ignore, 'utf8')).toBe('CVE-2026-1\n# comment\nCVE-2026-2\n');
    // from the report's RepoDigests
    expect(r.outputs.digest).toBe('sha256:f80ade9b5f051db78001cc581eeb7ee92ffd417f3f72b182f0355ef4f782a08e');
  });

  it('reads registry credentials from config-dir and never shows them', async () => {
    const { host, user } = stack.htpasswd;
    const pushed = await pushDb(host, 'private/api', 'v2', 'db', 100, 'private', user);
    const configDir = mkdtempSync(join(tmpdir(), 'docker-config-'));
    const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
    writeFileSync(join(configDir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }));
    const r = await scan({ inputs: { image: `${host}/private/api:v2`, 'config-dir': configDir, 'max-critical': '' } });
    expect(r.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.outputs.digest).toBe(pushed.digest);
    expect(r.masks).toContain(user.password);
    const shown = r.everything.replace(/::add-mask::.*\n/g, '');
    expect(shown).not.toContain(user.password);
    expect(shown).not.toContain(auth);
    // without the config the registry says who it wants, and nothing is scanned
    const denied = await scan({ inputs: { image: `${host}/private/api:v2`, 'max-critical': '' } });
    expect(denied.code).toBe(1);
    expect(denied.errors[0]).toMatch(/401|credentials|unauthorized/i);
    expect(denied.argv.filter((a) => a[0] === 'image')).toEqual([]);
  });

  it('fetches the Java database into java-db/ when java-db-repository is set', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'trivy-cache-'));
    const r = await scan({
      inputs: {
        'java-db-repository': `${stack.anonymous.host}/aquasecurity/trivy-java-db:1`,
        'cache-dir': cacheDir,
        'max-critical': '',
      },
    });
    expect(r.code).toBe(0);
    expect(readFileSync(join(cacheDir, 'java-db', 'trivy-java.db')).equals(java.dbBytes)).toBe(true);
    expect(readFileSync(join(cacheDir, 'db', 'trivy.db')).equals(db.dbBytes)).toBe(true);
  });

  it('refuses an artifact that is not a Trivy database, without trying the next mirror', async () => {
    // a Java database where the vulnerability database belongs: the layer type does not match
    const r = await scan({
      inputs: {
        'db-repository': `${stack.anonymous.host}/aquasecurity/trivy-java-db:1,${stack.anonymous.host}/aquasecurity/trivy-db:2`,
      },
    });
    expect(r.code).toBe(1);
    expect(r.errors).toEqual([
      `reading the Trivy vulnerability database ${stack.anonymous.host}/aquasecurity/trivy-java-db:1: the artifact has no layer of type application/vnd.aquasec.trivy.db.layer.v1.tar+gzip (is it a Trivy database?)`,
    ]);
  });

  it('resolves a tag to its digest and scans the digest', async () => {
    const r = await scan({ inputs: { image: image.reference, 'max-critical': '' } });
    expect(r.code).toBe(0);
    expect(r.outputs.digest).toBe(image.digest);
    expect(r.argv[1]?.at(-1)).toBe(`${stack.anonymous.host}/acme/api@${image.digest}`);
    expect(r.stdout).toContain(`${image.reference} is ${image.digest}`);
  });

  it('falls through to the next mirror when the first answers 429, and reuses the unpacked database', async () => {
    const throttled = await startFake(() => ({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
      body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"retry-after: 0s"}]}',
    }));
    try {
      const host = throttled.url.replace('http://', '');
      const cacheDir = mkdtempSync(join(tmpdir(), 'trivy-cache-'));
      const inputs = {
        'db-repository': `${host}/aquasec/trivy-db:2,${stack.anonymous.host}/aquasecurity/trivy-db:2`,
        'max-critical': '',
        'cache-dir': cacheDir,
      };
      const r = await scan({ inputs });
      expect(r.code).toBe(0);
      expect(r.outputs['db-digest']).toBe(db.digest);
      expect(r.warnings[0]).toMatch(
        new RegExp(
          `^vulnerability database: ${host}/aquasec/trivy-db:2 failed \\(.*429.*\\); trying ${stack.anonymous.host}/aquasecurity/trivy-db:2$`,
        ),
      );
      // two attempts at the throttled mirror (one retry), then the next mirror
      expect(throttled.requests.filter((q) => q.url.includes('/manifests/'))).toHaveLength(2);
      expect(readFileSync(join(cacheDir, 'db', 'trivy.db')).equals(db.dbBytes)).toBe(true);
      const again = await scan({
        inputs: { ...inputs, 'db-repository': `${stack.anonymous.host}/aquasecurity/trivy-db:2` },
      });
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('is already in');
    } finally {
      await throttled.close();
    }
  });

  it('installs Trivy from a mirror, verified against trivy-checksum, and refuses a tampered archive', async () => {
    const mirror = await startReleaseMirror({
      '0.99.1': { file: standIn },
      '0.99.2': { script: '#!/bin/sh\necho tampered\n' },
    });
    const bad = mirror.archive('0.99.2');
    try {
      const sum = mirror.sha256('0.99.1');
      const common = { 'trivy-path': '', 'trivy-download-url': mirror.url, 'trivy-checksum': sum, 'max-critical': '' };
      const ok = await scan({ inputs: { ...common, 'trivy-version': '0.99.1' } });
      expect(ok.errors).toEqual([]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`trivy 0.99.1 (download, archive sha256 ${sum})`);
      expect(ok.argv[0]).toEqual(['--version']);
      expect(existsSync(join(ok.dir, 'toolcache', 'trivy', '0.99.1', 'x64', 'trivy'))).toBe(true);
      // across jobs: a fresh tool cache on the same path, filled from the Actions cache
      const results = await startResultsFake();
      try {
        const toolCache = join(mkdtempSync(join(tmpdir(), 'hostedtoolcache-')), 'tc');
        const env = {
          ACTIONS_RUNTIME_TOKEN: results.token,
          ACTIONS_RESULTS_URL: results.url,
          ACTIONS_CACHE_SERVICE_V2: 'true',
          RUNNER_TOOL_CACHE: toolCache,
        };
        const job1 = await scan({ env, inputs: { ...common, 'trivy-version': '0.99.1', 'cache-db': 'false' } });
        expect(job1.code).toBe(0);
        expect(results.caches.map((c) => c.key)).toEqual([`trivy-0.99.1-linux-x64-${sum.slice(0, 16)}`]);
        rmSync(toolCache, { recursive: true });
        const job2 = await scan({ env, inputs: { ...common, 'trivy-version': '0.99.1', 'cache-db': 'false' } });
        expect(job2.code).toBe(0);
        expect(job2.stdout).toContain(`trivy 0.99.1 (actions-cache, archive sha256 ${sum})`);
        expect(existsSync(join(toolCache, 'trivy', '0.99.1', 'x64.complete'))).toBe(true);
      } finally {
        await results.close();
      }
      const refused = await scan({ inputs: { ...common, 'trivy-version': '0.99.2' } });
      expect(refused.code).toBe(1);
      expect(refused.errors).toEqual([
        `installing trivy 0.99.2: the archive from ${mirror.url}/v0.99.2/trivy_0.99.2_Linux-64bit.tar.gz has SHA-256 ${createHash('sha256').update(bad).digest('hex')}, not ${sum} (trivy-checksum): it was refused and nothing was installed`,
      ]);
      expect(existsSync(join(refused.dir, 'toolcache', 'trivy', '0.99.2'))).toBe(false);
      expect(refused.argv).toEqual([]);
    } finally {
      await mirror.close();
    }
  });

  it('caches the database right after download, before a failing gate, and restores it in the next job', async () => {
    const results = await startResultsFake();
    try {
      const env = {
        ACTIONS_RUNTIME_TOKEN: results.token,
        ACTIONS_RESULTS_URL: results.url,
        ACTIONS_CACHE_SERVICE_V2: 'true',
      };
      // the cache version covers the paths: every job uses the same folder (~/.cache/trivy on runners)
      const cacheDir = join(mkdtempSync(join(tmpdir(), 'trivy-home-')), '.cache', 'trivy');
      const first = await scan({ env, inputs: { 'cache-dir': cacheDir } });
      expect(first.code).toBe(1);
      expect(first.errors[0]).toContain('Failed: 3 critical (limit 0)');
      expect(results.caches.map((c) => c.key)).toEqual([`trivy-db-${db.digest}`]);
      const saved = first.stdout.indexOf(`saved in the Actions cache as trivy-db-${db.digest}`);
      expect(saved).toBeGreaterThan(first.stdout.indexOf('downloading'));
      expect(saved).toBeLessThan(first.stdout.indexOf('::group::Scanning'));
      // a fresh runner: nothing on disk, the database comes from the cache, not the registry
      rmSync(cacheDir, { recursive: true });
      const second = await scan({ env, inputs: { 'max-critical': '', 'cache-dir': cacheDir } });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain(
        `Trivy vulnerability database: ${stack.anonymous.host}/aquasecurity/trivy-db@${db.digest} restored from the Actions cache`,
      );
      expect(second.stdout).not.toContain('downloading');
      expect(results.caches).toHaveLength(1);
      // cache-db: false never talks to the cache service
      const calls = results.calls.length;
      const third = await scan({ env, inputs: { 'max-critical': '', 'cache-db': 'false' } });
      expect(third.code).toBe(0);
      expect(results.calls.length).toBe(calls);
    } finally {
      await results.close();
    }
  });

  it('uploads the report, SARIF and extra formats as one artifact', async () => {
    const results = await startResultsFake();
    try {
      const r = await scan({
        env: { ACTIONS_RUNTIME_TOKEN: results.token, ACTIONS_RESULTS_URL: results.url },
        inputs: {
          'upload-artifact': 'true',
          'artifact-name': 'scan-api',
          sarif: 'trivy.sarif',
          'format-extra': 'table',
          'max-critical': '',
        },
      });
      expect(r.errors).toEqual([]);
      expect(r.code).toBe(0);
      const stored = results.artifacts.find((a) => a.name === 'scan-api');
      expect(stored).toBeDefined();
      const dir = mkdtempSync(join(tmpdir(), 'unzip-'));
      writeFileSync(join(dir, 'a.zip'), stored!.bytes);
      const names = execFileSync('zipinfo', ['-1', join(dir, 'a.zip')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .sort();
      expect(names).toEqual([
        'runner-temp/trivy-scan/report.json',
        'runner-temp/trivy-scan/report.txt',
        'workspace/trivy.sarif',
      ]);
      const report = execFileSync('unzip', ['-p', join(dir, 'a.zip'), 'runner-temp/trivy-scan/report.json'], {
        maxBuffer: 1 << 26,
      });
      expect(report.equals(readFileSync(join(fixtures, 'FuelTime-1.json')))).toBe(true);
      expect(r.stdout).toContain("Uploaded artifact 'scan-api' (report.json, trivy.sarif, report.txt");
    } finally {
      await results.close();
    }
  });

  it('without the artifact service the reports stay in place with a notice', async () => {
    const r = await scan({ inputs: { 'upload-artifact': 'true', 'max-critical': '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Artifact 'trivy-scan' was not uploaded: the artifact service is not available to this process",
    );
  });

  it.each([
    [{ image: '', input: '' }, "Input 'image': is required"],
    [{ 'max-high': 'three' }, "Input 'max-high': 'three' is not a whole number"],
    [{ 'max-high': '-1' }, "Input 'max-high': -1 is out of range"],
    [{ policy: 'strict' }, "Input 'policy': 'strict' is not accepted (expected one of: block, warn, allow)"],
    [{ severity: 'CRITICAL,SEVERE' }, "Input 'severity': 'SEVERE' is not a severity"],
    [
      { exemptions: 'CVE-2024-1 until tomorrow' },
      "Input 'exemptions': 'CVE-2024-1 until tomorrow': 'tomorrow' after until is not a date",
    ],
    [{ 'format-extra': 'pdf' }, "Input 'format-extra': 'pdf' is not a format trivy convert writes"],
    [{ 'db-repository': '' }, "Input 'db-repository': is empty"],
    [
      { 'trivy-path': '', 'trivy-version': '0.50.0' },
      "Input 'trivy-version': 0.50.0 has no checksum committed in this action",
    ],
  ])('refuses %j in one line', async (inputs, message) => {
    const r = await scan({ inputs });
    expect(r.code).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(message);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /);
    expect(r.argv).toEqual([]);
    expect(r.outputs).toEqual({});
  });
});
