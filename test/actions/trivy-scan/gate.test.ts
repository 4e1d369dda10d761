import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.js';
import { parseTrivyReport, SEVERITIES, type TrivyReport, type Vulnerability } from '#shared/trivy/report.js';
import { isExpired, parseExemptions } from '../../../actions/trivy-scan/src/exemptions.js';
import { describeLimits, evaluateGate, type GateOptions } from '../../../actions/trivy-scan/src/gate.js';

const fixtures = join(import.meta.dirname, '../../../../shared/fixtures/trivy');
const fuel = parseTrivyReport(readFileSync(join(fixtures, 'FuelTime-1.json'), 'utf8'), 'FuelTime-1.json');
const xyz = parseTrivyReport(readFileSync(join(fixtures, 'xyz-tile-cache-1.json'), 'utf8'), 'xyz.json');
const now = new Date('2026-06-01T12:00:00Z');

function opts(o: Partial<GateOptions> = {}): GateOptions {
  return { severities: [...SEVERITIES], limits: {}, ignoreUnfixed: false, exemptions: [], now, ...o };
}

function vuln(id: string, severity: Vulnerability['severity'], extra: Partial<Vulnerability> = {}): Vulnerability {
  return {
    id,
    pkgName: 'openssl',
    installedVersion: '3.0.1',
    fixedVersion: '',
    status: 'affected',
    severity,
    target: 'img (debian 12)',
    class: 'os-pkgs',
    title: '',
    url: '',
    ...extra,
  };
}

function report(vulns: Vulnerability[]): TrivyReport {
  return {
    schemaVersion: 2,
    trivyVersion: '0.71.2',
    artifactName: 'img',
    createdAt: undefined,
    os: undefined,
    repoDigests: [],
    targets: [{ target: 'img (debian 12)', class: 'os-pkgs', type: 'debian' }],
    vulnerabilities: vulns,
    misconfigurations: [],
    secrets: [],
  };
}

describe('evaluateGate thresholds', () => {
  it.each([
    ['limit 0 with 1 critical fails', [vuln('CVE-1', 'CRITICAL')], { CRITICAL: 0 }, false, ['1 critical (limit 0)']],
    [
      'limit 3 with 3 high passes',
      [vuln('CVE-1', 'HIGH'), vuln('CVE-2', 'HIGH'), vuln('CVE-3', 'HIGH')],
      { HIGH: 3 },
      true,
      [],
    ],
    [
      'limit 2 with 3 high fails',
      [vuln('CVE-1', 'HIGH'), vuln('CVE-2', 'HIGH'), vuln('CVE-3', 'HIGH')],
      { HIGH: 2 },
      false,
      ['3 high (limit 2)'],
    ],
    ['no limit', [vuln('CVE-1', 'CRITICAL')], {}, true, []],
    [
      'two limits broken',
      [vuln('CVE-1', 'CRITICAL'), vuln('CVE-2', 'LOW'), vuln('CVE-3', 'LOW')],
      { CRITICAL: 0, LOW: 1 },
      false,
      ['1 critical (limit 0)', '2 low (limit 1)'],
    ],
  ] as const)('%s', (_name, vulns, limits, passed, breaches) => {
    const g = evaluateGate(report([...vulns]), opts({ limits }));
    expect(g.passed).toBe(passed);
    expect(g.breaches).toEqual(breaches);
  });

  it('counts the recorded report by severity and target', () => {
    const g = evaluateGate(fuel, opts({ limits: { CRITICAL: 5, HIGH: 3 } }));
    expect(g.counts).toEqual({ CRITICAL: 3, HIGH: 15, MEDIUM: 55, LOW: 0, UNKNOWN: 0 });
    expect(g.byTarget.map((t) => [t.target, t.counts.CRITICAL, t.counts.HIGH, t.counts.MEDIUM])).toEqual([
      ['fueltime-fueltime:latest (debian 13.2)', 3, 13, 52],
      ['Python', 0, 2, 3],
    ]);
    expect(g.breaches).toEqual(['15 high (limit 3)']);
    expect(g.counted.slice(0, 3).every((v) => v.severity === 'CRITICAL')).toBe(true);
  });

  it('ignore-unfixed leaves out affected, will_not_fix and fix_deferred findings', () => {
    const vulns = [
      vuln('CVE-1', 'CRITICAL', { status: 'affected' }),
      vuln('CVE-2', 'CRITICAL', { status: 'will_not_fix' }),
      vuln('CVE-3', 'CRITICAL', { status: 'fixed', fixedVersion: '3.0.2' }),
      vuln('CVE-4', 'HIGH', { status: 'fix_deferred' }),
    ];
    const g = evaluateGate(report(vulns), opts({ ignoreUnfixed: true, limits: { CRITICAL: 0 } }));
    expect(g.counts.CRITICAL).toBe(1);
    expect(g.counts.HIGH).toBe(0);
    expect(g.unfixedIgnored).toBe(3);
    expect(g.breaches).toEqual(['1 critical (limit 0)']);
    const real = evaluateGate(fuel, opts({ ignoreUnfixed: true }));
    // counted independently from the file: the findings whose Status is fixed
    expect(real.counts).toEqual({ CRITICAL: 3, HIGH: 11, MEDIUM: 32, LOW: 0, UNKNOWN: 0 });
  });

  it('severity leaves other severities out of counts and gate', () => {
    const g = evaluateGate(xyz, opts({ severities: ['HIGH'], limits: { CRITICAL: 0 } }));
    expect(g.counts).toEqual({ CRITICAL: 0, HIGH: 3, MEDIUM: 0, LOW: 0, UNKNOWN: 0 });
    expect(g.passed).toBe(true);
  });

  it('misconfigurations and secrets are gated only when a limit is set', () => {
    const r = report([]);
    r.misconfigurations = [{ id: 'DS002', title: '', severity: 'HIGH', target: 'Dockerfile', status: 'FAIL', url: '' }];
    r.secrets = [{ ruleId: 'k', title: '', severity: 'CRITICAL', target: '/a', startLine: 1 }];
    expect(evaluateGate(r, opts()).passed).toBe(true);
    const g = evaluateGate(r, opts({ limits: { misconfigurations: 0, secrets: 0 } }));
    expect(g.breaches).toEqual(['1 misconfigurations (limit 0)', '1 secrets (limit 0)']);
  });
});

describe('exemptions', () => {
  it('parses the line forms', () => {
    expect(
      parseExemptions([
        'CVE-2024-1234',
        'CVE-2024-1235 until 2027-01-31',
        'CVE-2024-1236 pkg=openssl until 2027-01-31 reason waiting for the base image',
        'GHSA-xxxx-yyyy-zzzz reason no fix upstream',
      ]).map(({ id, pkg, until, reason }) => [id, pkg, until, reason]),
    ).toEqual([
      ['CVE-2024-1234', undefined, undefined, undefined],
      ['CVE-2024-1235', undefined, '2027-01-31', undefined],
      ['CVE-2024-1236', 'openssl', '2027-01-31', 'waiting for the base image'],
      ['GHSA-xxxx-yyyy-zzzz', undefined, undefined, 'no fix upstream'],
    ]);
  });

  it.each([
    ['openssl CVE-2024-1', /does not start with a vulnerability ID/],
    ['CVE-2024-1 until 2027-02-30', /'2027-02-30' after until is not a date/],
    ['CVE-2024-1 until', /'' after until is not a date/],
    ['CVE-2024-1 because', /'because' is not understood/],
  ])('%s is refused', (line, message) => {
    expect(() => parseExemptions([line])).toThrow(ConfigurationError);
    expect(() => parseExemptions([line])).toThrow(message);
    expect(() => parseExemptions([line])).toThrow(/^Input 'exemptions': /);
  });

  it('expires after the until day (UTC)', () => {
    const [e] = parseExemptions(['CVE-1-1 until 2026-06-01']);
    expect(isExpired(e!, new Date('2026-06-01T23:59:59Z'))).toBe(false);
    expect(isExpired(e!, new Date('2026-06-02T00:00:00Z'))).toBe(true);
  });

  it('an exemption takes its findings out of the count; a scoped one only in its package', () => {
    const vulns = [
      vuln('CVE-1', 'CRITICAL'),
      vuln('CVE-1', 'CRITICAL', { pkgName: 'libssl3' }),
      vuln('CVE-2', 'CRITICAL'),
    ];
    const g = evaluateGate(
      report(vulns),
      opts({ limits: { CRITICAL: 0 }, exemptions: parseExemptions(['CVE-1 pkg=openssl until 2026-12-31', 'CVE-2']) }),
    );
    expect(g.counts.CRITICAL).toBe(1);
    expect(g.counted.map((v) => `${v.id}/${v.pkgName}`)).toEqual(['CVE-1/libssl3']);
    expect(g.exempted.map((e) => [e.exemption.id, e.findings])).toEqual([
      ['CVE-1', 1],
      ['CVE-2', 1],
    ]);
  });

  it('an expired exemption exempts nothing and is reported as expired', () => {
    const g = evaluateGate(
      report([vuln('CVE-1', 'CRITICAL')]),
      opts({ limits: { CRITICAL: 0 }, exemptions: parseExemptions(['CVE-1 until 2026-05-31 reason old']) }),
    );
    expect(g.passed).toBe(false);
    expect(g.exempted).toEqual([]);
    expect(g.expired.map((e) => [e.exemption.id, e.exemption.until, e.findings])).toEqual([['CVE-1', '2026-05-31', 1]]);
  });
});

describe('describeLimits', () => {
  it.each([
    [{}, 'no limits'],
    [{ CRITICAL: 0, HIGH: 3 }, 'critical ≤ 0, high ≤ 3'],
    [{ secrets: 0 }, 'secrets ≤ 0'],
  ])('%j', (limits, text) => expect(describeLimits(limits)).toBe(text));
});
