// The gate: counts by severity after ignore-unfixed and exemptions, compared with the limits.
// Computed from the one JSON report, so it does not depend on what the SARIF holds.
import { isUnfixed, SEVERITIES, type Severity, type TrivyReport, type Vulnerability } from '#shared/trivy/report.js';
import { type Exemption, exemptionMatches, isExpired } from './exemptions.js';

export type Limits = Partial<Record<Severity, number>> & { misconfigurations?: number; secrets?: number };

export interface GateOptions {
  /** severities reported; others are left out of counts and gate */
  severities: readonly Severity[];
  limits: Limits;
  ignoreUnfixed: boolean;
  exemptions: readonly Exemption[];
  now: Date;
}

export type Counts = Record<Severity, number>;

export interface AppliedExemption {
  exemption: Exemption;
  /** findings it took out of the counts */
  findings: number;
}

export interface GateResult {
  counts: Counts;
  /** per target, in report order */
  byTarget: Array<{ target: string; class: string; counts: Counts }>;
  /** findings that count, most severe first */
  counted: Vulnerability[];
  exempted: AppliedExemption[];
  expired: AppliedExemption[];
  unfixedIgnored: number;
  misconfigurations: number;
  secrets: number;
  /** one line per broken limit, e.g. `3 critical (limit 0)` */
  breaches: string[];
  passed: boolean;
}

export function zeroCounts(): Counts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

const RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, UNKNOWN: 4 };

export function evaluateGate(report: TrivyReport, options: GateOptions): GateResult {
  const wanted = new Set(options.severities);
  const active = options.exemptions.filter((e) => !isExpired(e, options.now));
  const expiredList = options.exemptions.filter((e) => isExpired(e, options.now));
  const applied = new Map<Exemption, number>(active.map((e) => [e, 0]));
  const expiredHits = new Map<Exemption, number>(expiredList.map((e) => [e, 0]));
  const counts = zeroCounts();
  const byTarget = new Map<string, { target: string; class: string; counts: Counts }>();
  for (const t of report.targets) {
    if (t.class === 'os-pkgs' || t.class === 'lang-pkgs') {
      byTarget.set(t.target, { target: t.target, class: t.class, counts: zeroCounts() });
    }
  }
  const counted: Vulnerability[] = [];
  let unfixedIgnored = 0;
  for (const v of report.vulnerabilities) {
    if (!wanted.has(v.severity)) continue;
    if (options.ignoreUnfixed && isUnfixed(v)) {
      unfixedIgnored++;
      continue;
    }
    const exemption = active.find((e) => exemptionMatches(e, v));
    if (exemption) {
      applied.set(exemption, (applied.get(exemption) ?? 0) + 1);
      continue;
    }
    for (const e of expiredList) if (exemptionMatches(e, v)) expiredHits.set(e, (expiredHits.get(e) ?? 0) + 1);
    counts[v.severity]++;
    const t = byTarget.get(v.target) ?? { target: v.target, class: v.class, counts: zeroCounts() };
    t.counts[v.severity]++;
    byTarget.set(v.target, t);
    counted.push(v);
  }
  counted.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const misconfigurations = report.misconfigurations.filter((m) => wanted.has(m.severity)).length;
  const secrets = report.secrets.filter((s) => wanted.has(s.severity)).length;

  const breaches: string[] = [];
  for (const s of SEVERITIES) {
    const limit = options.limits[s];
    if (limit !== undefined && counts[s] > limit) breaches.push(`${counts[s]} ${s.toLowerCase()} (limit ${limit})`);
  }
  const { misconfigurations: maxMisconfigurations, secrets: maxSecrets } = options.limits;
  if (maxMisconfigurations !== undefined && misconfigurations > maxMisconfigurations) {
    breaches.push(`${misconfigurations} misconfigurations (limit ${maxMisconfigurations})`);
  }
  if (maxSecrets !== undefined && secrets > maxSecrets) breaches.push(`${secrets} secrets (limit ${maxSecrets})`);
  return {
    counts,
    byTarget: [...byTarget.values()],
    counted,
    exempted: [...applied].map(([exemption, findings]) => ({ exemption, findings })),
    expired: [...expiredHits].map(([exemption, findings]) => ({ exemption, findings })),
    unfixedIgnored,
    misconfigurations,
    secrets,
    breaches,
    passed: breaches.length === 0,
  };
}

/** The limits as a phrase: `critical ≤ 0, high ≤ 3`, or `no limits`. */
export function describeLimits(limits: Limits): string {
  const parts: string[] = [];
  for (const s of SEVERITIES) if (limits[s] !== undefined) parts.push(`${s.toLowerCase()} ≤ ${limits[s]}`);
  if (limits.misconfigurations !== undefined) parts.push(`misconfigurations ≤ ${limits.misconfigurations}`);
  if (limits.secrets !== undefined) parts.push(`secrets ≤ ${limits.secrets}`);
  return parts.length > 0 ? parts.join(', ') : 'no limits';
}
