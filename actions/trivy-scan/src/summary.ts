// The job summary of a scan: verdict, counts per target, top findings, exemptions, EOSL and the
// database age. Everything from the report is foreign text and is escaped.
import { addHeading, addTable, addText, cell } from '#shared/action/summary.js';
import { SEVERITIES, type TrivyReport } from '#shared/trivy/report.js';
import { describeLimits, type GateResult, type Limits } from './gate.js';
import type { Policy } from './inputs.js';

export interface SummaryContext {
  scanned: string;
  report: TrivyReport;
  gate: GateResult;
  limits: Limits;
  policy: Policy;
  dbUpdatedAt: Date | undefined;
  now: Date;
  topFindings?: number;
}

function ageText(from: Date, now: Date): string {
  const hours = Math.max(0, Math.round((now.getTime() - from.getTime()) / 3_600_000));
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

function safeUrl(url: string): string | undefined {
  return /^https:\/\/[^\s"'<>]+$/.test(url) ? url : undefined;
}

export function verdictLine(gate: GateResult, limits: Limits, policy: Policy): string {
  const against = describeLimits(limits);
  if (gate.passed) return `Passed (limits: ${against}).`;
  const what = gate.breaches.join(', ');
  if (policy === 'block') return `Failed: ${what} (limits: ${against}).`;
  if (policy === 'warn') return `Limits broken, reported as a warning (policy warn): ${what} (limits: ${against}).`;
  return `Limits broken, not enforced (policy allow): ${what} (limits: ${against}).`;
}

export function writeScanSummary(c: SummaryContext): void {
  const { gate, report } = c;
  addHeading(`Trivy scan of ${c.scanned}`, 3);
  addText(`<p><b>${cell(verdictLine(gate, c.limits, c.policy))}</b></p>`);
  const rows = gate.byTarget.map((t) => [t.target, t.class, ...SEVERITIES.map((s) => String(t.counts[s]))]);
  rows.push(['Total', '', ...SEVERITIES.map((s) => String(gate.counts[s]))]);
  addTable(['Target', 'Class', 'Critical', 'High', 'Medium', 'Low', 'Unknown'], rows);
  if (gate.misconfigurations > 0 || gate.secrets > 0) {
    addText(`<p>${cell(`Misconfigurations: ${gate.misconfigurations}; secrets: ${gate.secrets}.`)}</p>`);
  }
  const top = gate.counted.slice(0, c.topFindings ?? 20);
  if (top.length > 0) {
    const body = top
      .map((v) => {
        const url = safeUrl(v.url);
        const id = url ? `<a href="${cell(url)}">${cell(v.id)}</a>` : cell(v.id);
        return `<tr><td>${id}</td><td>${cell(v.severity)}</td><td>${cell(v.pkgName)}</td><td>${cell(v.installedVersion)}</td><td>${cell(v.fixedVersion || '—')}</td><td>${cell(v.target)}</td></tr>`;
      })
      .join('');
    addText(
      `<details><summary>Top ${top.length} of ${gate.counted.length} findings</summary><table><tr><th>Vulnerability</th><th>Severity</th><th>Package</th><th>Installed</th><th>Fixed</th><th>Target</th></tr>${body}</table></details>`,
    );
  }
  const applied = gate.exempted.filter((e) => e.findings > 0);
  if (applied.length > 0 || gate.expired.length > 0) {
    const exRows = [
      ...applied.map((e) => [
        e.exemption.id,
        e.exemption.pkg ?? 'any',
        e.exemption.until ?? 'no expiry',
        'applied',
        String(e.findings),
        e.exemption.reason ?? '',
      ]),
      ...gate.expired.map((e) => [
        e.exemption.id,
        e.exemption.pkg ?? 'any',
        e.exemption.until ?? '',
        'expired',
        String(e.findings),
        e.exemption.reason ?? '',
      ]),
    ];
    addTable(['Exemption', 'Package', 'Until', 'State', 'Findings', 'Reason'], exRows);
  }
  if (gate.unfixedIgnored > 0)
    addText(`<p>${cell(`${gate.unfixedIgnored} findings without a fix were left out (ignore-unfixed).`)}</p>`);
  if (report.os?.eosl) {
    addText(
      `<p>${cell(`⚠️ ${report.os.family} ${report.os.name} has reached its end of support: it gets no more security fixes.`)}</p>`,
    );
  }
  const db = c.dbUpdatedAt
    ? `database updated ${c.dbUpdatedAt.toISOString()} (${ageText(c.dbUpdatedAt, c.now)} old)`
    : 'database age unknown';
  addText(`<p>${cell(`Trivy ${report.trivyVersion ?? ''}, ${db}.`.replace('  ', ' '))}</p>`);
}
