import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isUnfixed, parseTrivyReport, TrivyReportError } from '#shared/trivy/report.js';

const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/trivy');
const read = (name: string) => readFileSync(join(fixtures, name), 'utf8');

function bySeverity(r: ReturnType<typeof parseTrivyReport>) {
  const out: Record<string, number> = {};
  for (const v of r.vulnerabilities) out[v.severity] = (out[v.severity] ?? 0) + 1;
  return out;
}

describe('parseTrivyReport on recorded reports', () => {
  it.each([
    {
      file: 'FuelTime-1.json',
      version: '0.69.2',
      os: { family: 'debian', name: '13.2', eosl: false },
      targets: [
        ['fueltime-fueltime:latest (debian 13.2)', 'os-pkgs', 'debian'],
        ['Python', 'lang-pkgs', 'python-pkg'],
      ],
      // 74 entries in the file, one of them a repeat of (ID, package, version, target)
      total: 73,
      severities: { CRITICAL: 3, HIGH: 15, MEDIUM: 55 },
    },
    {
      file: 'xyz-tile-cache-1.json',
      version: '0.70.0',
      os: { family: 'alpine', name: '3.23.4', eosl: false },
      targets: [
        ['clockard/xyz-tile-cache:latest (alpine 3.23.4)', 'os-pkgs', 'alpine'],
        ['Java', 'lang-pkgs', 'jar'],
      ],
      total: 6,
      severities: { CRITICAL: 3, HIGH: 3 },
    },
    {
      file: 'shopping-demo-1.json',
      version: '0.69.3',
      os: { family: 'alpine', name: '3.18.12', eosl: true },
      targets: [
        ['ghcr.io/steadybit/checkout-go:main (alpine 3.18.12)', 'os-pkgs', 'alpine'],
        ['app/checkout', 'lang-pkgs', 'gobinary'],
      ],
      total: 0,
      severities: {},
    },
  ])('$file', ({ file, version, os, targets, total, severities }) => {
    const r = parseTrivyReport(read(file), file);
    expect(r.schemaVersion).toBe(2);
    expect(r.trivyVersion).toBe(version);
    expect(r.os).toEqual(os);
    expect(r.targets.map((t) => [t.target, t.class, t.type])).toEqual(targets);
    expect(r.vulnerabilities).toHaveLength(total);
    expect(bySeverity(r)).toEqual(severities);
  });

  it('keeps the fields the gate and summary need', () => {
    const r = parseTrivyReport(read('FuelTime-1.json'), 'f.json');
    expect(r.vulnerabilities[0]).toEqual({
      id: 'CVE-2025-14104',
      pkgName: 'bsdutils',
      installedVersion: '1:2.41-5',
      fixedVersion: '',
      status: 'affected',
      severity: 'MEDIUM',
      target: 'fueltime-fueltime:latest (debian 13.2)',
      class: 'os-pkgs',
      title: 'util-linux: util-linux: Heap buffer overread in setpwnam() when processing 256-byte usernames',
      url: 'https://avd.aquasec.com/nvd/cve-2025-14104',
    });
    const statuses = new Set(r.vulnerabilities.map((v) => v.status));
    expect([...statuses].sort()).toEqual(['affected', 'fix_deferred', 'fixed']);
  });
});

describe('the array reports of Trivy before 0.20', () => {
  // the same findings as a recorded report, in the old shape: no SchemaVersion, no Class, no Status
  const modern = JSON.parse(read('xyz-tile-cache-1.json'));
  const legacy = modern.Results.map((r: Record<string, unknown>) => ({
    Target: r.Target,
    Type: r.Type,
    Vulnerabilities:
      ((r.Vulnerabilities as Array<Record<string, unknown>>) ?? null)?.map(({ Status: _s, ...v }) => v) ?? null,
  }));

  it('reads targets, infers the class from the type, and has no status', () => {
    const r = parseTrivyReport(JSON.stringify(legacy), 'old.json');
    expect(r.schemaVersion).toBe(0);
    expect(r.targets.map((t) => [t.class, t.type])).toEqual([
      ['os-pkgs', 'alpine'],
      ['lang-pkgs', 'jar'],
    ]);
    expect(r.vulnerabilities).toHaveLength(6);
    expect(r.vulnerabilities.every((v) => v.status === undefined)).toBe(true);
  });
});

describe('misconfigurations and secrets', () => {
  it('counts failed misconfigurations and secrets apart from vulnerabilities', () => {
    const doc = {
      SchemaVersion: 2,
      ArtifactName: 'x',
      Results: [
        {
          Target: 'Dockerfile',
          Class: 'config',
          Type: 'dockerfile',
          Misconfigurations: [
            { ID: 'DS002', Title: 'root user', Severity: 'HIGH', Status: 'FAIL' },
            { ID: 'DS001', Title: 'latest tag', Severity: 'MEDIUM', Status: 'PASS' },
          ],
        },
        {
          Target: '/app/.env',
          Class: 'secret',
          Secrets: [{ RuleID: 'aws-access-key-id', Title: 'AWS Access Key ID', Severity: 'CRITICAL', StartLine: 3 }],
        },
      ],
    };
    const r = parseTrivyReport(JSON.stringify(doc), 'm.json');
    expect(r.vulnerabilities).toEqual([]);
    expect(r.misconfigurations.map((m) => [m.id, m.severity])).toEqual([['DS002', 'HIGH']]);
    expect(r.secrets.map((s) => [s.ruleId, s.severity, s.startLine])).toEqual([['aws-access-key-id', 'CRITICAL', 3]]);
  });
});

describe('broken reports are errors, never zero findings', () => {
  const good = read('xyz-tile-cache-1.json');
  it.each([
    ['', /r\.json is empty/],
    ['   \n', /r\.json is empty/],
    [
      `2026-05-20T07:51:25Z INFO Vulnerability scanning is enabled\n${good}`,
      /does not start with JSON: it starts with "2026-05-20T07:51:25Z INFO/,
    ],
    [good.slice(0, 5000), /is cut off after 5000 bytes/],
    ['{"SchemaVersion": 2, "Results": [', /is cut off/],
    ['{"hello": "world"}', /is not a Trivy report \(no SchemaVersion/],
    ['{"SchemaVersion": 3, "Results": []}', /SchemaVersion 3, which this action does not read/],
    ['{"SchemaVersion": 2, "Results": {}}', /Results that is not a list/],
    [
      '{"SchemaVersion": 2, "Results": [{"Target": "t", "Vulnerabilities": [{"PkgName": "a"}]}]}',
      /without VulnerabilityID in "t"/,
    ],
    ['panic: runtime error: invalid memory address', /does not start with JSON/],
  ])('%#', (text, message) => {
    expect(() => parseTrivyReport(text, 'r.json')).toThrow(TrivyReportError);
    expect(() => parseTrivyReport(text, 'r.json')).toThrow(message);
  });

  it('a report with no Results is an image without findings', () => {
    const r = parseTrivyReport('{"SchemaVersion": 2, "ArtifactName": "a"}', 'r.json');
    expect(r.vulnerabilities).toEqual([]);
    expect(r.targets).toEqual([]);
  });
});

describe('isUnfixed', () => {
  it.each([
    [{ status: 'fixed', fixedVersion: '1.2' }, false],
    [{ status: 'affected', fixedVersion: '' }, true],
    [{ status: 'will_not_fix', fixedVersion: '' }, true],
    [{ status: 'fix_deferred', fixedVersion: '' }, true],
    // status decides even when a fixed version is named
    [{ status: 'end_of_life', fixedVersion: '1.2' }, true],
    [{ status: undefined, fixedVersion: '1.2' }, false],
    [{ status: undefined, fixedVersion: '' }, true],
  ])('%j -> %s', (v, expected) => {
    expect(isUnfixed(v)).toBe(expected);
  });
});
