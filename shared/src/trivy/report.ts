// The Trivy JSON report as data: every shape Trivy has written (SchemaVersion 2 with `Results[]`
// and `Class`, and the top-level array of results written before 0.20) read into one model,
// vulnerabilities counted once per (VulnerabilityID, PkgName, InstalledVersion, target). A report
// that is not a whole Trivy JSON document is an error naming the file and what is wrong: a
// broken report must never read as "no vulnerabilities".

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ResultClass = 'os-pkgs' | 'lang-pkgs' | 'config' | 'secret' | 'license' | 'custom';

export interface Vulnerability {
  id: string;
  pkgName: string;
  installedVersion: string;
  /** empty when no fixed version is known */
  fixedVersion: string;
  /** fixed, affected, will_not_fix, fix_deferred, end_of_life, under_investigation...; undefined in old reports */
  status: string | undefined;
  severity: Severity;
  target: string;
  class: ResultClass;
  title: string;
  url: string;
}

export interface Misconfiguration {
  id: string;
  title: string;
  severity: Severity;
  target: string;
  /** FAIL, PASS, EXCEPTION (only FAIL is a finding) */
  status: string;
  url: string;
}

export interface SecretFinding {
  ruleId: string;
  title: string;
  severity: Severity;
  target: string;
  startLine: number | undefined;
}

export interface ReportTarget {
  target: string;
  class: ResultClass;
  /** debian, alpine, jar, gobinary, python-pkg... */
  type: string;
}

export interface TrivyReport {
  /** 2, or 0 for the old top-level array */
  schemaVersion: number;
  trivyVersion: string | undefined;
  artifactName: string | undefined;
  createdAt: string | undefined;
  os: { family: string; name: string; eosl: boolean } | undefined;
  /** `name@sha256:...` entries of Metadata.RepoDigests */
  repoDigests: string[];
  targets: ReportTarget[];
  vulnerabilities: Vulnerability[];
  misconfigurations: Misconfiguration[];
  secrets: SecretFinding[];
}

/** A report file that is not a whole Trivy JSON report. */
export class TrivyReportError extends Error {
  constructor(file: string, problem: string) {
    super(`The Trivy report ${file} ${problem}`);
    this.name = 'TrivyReportError';
  }
}

const OS_TYPES = new Set([
  'alpine',
  'alma',
  'amazon',
  'azurelinux',
  'bottlerocket',
  'cbl-mariner',
  'centos',
  'chainguard',
  'debian',
  'echo',
  'fedora',
  'minimos',
  'opensuse',
  'opensuse.leap',
  'opensuse.tumbleweed',
  'oracle',
  'photon',
  'redhat',
  'rocky',
  'suse linux enterprise micro',
  'suse linux enterprise server',
  'ubuntu',
  'wolfi',
]);

const CLASSES: readonly ResultClass[] = ['os-pkgs', 'lang-pkgs', 'config', 'secret', 'license', 'custom'];

export function normalizeSeverity(value: unknown): Severity {
  const s = typeof value === 'string' ? value.toUpperCase() : '';
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : 'UNKNOWN';
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function excerpt(text: string): string {
  const line = text.split(/\r?\n/)[0] ?? '';
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/** Parses the text of a Trivy JSON report; `file` names it in errors. */
export function parseTrivyReport(text: string, file: string): TrivyReport {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new TrivyReportError(file, 'is empty: Trivy wrote nothing (did it crash?)');
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    throw new TrivyReportError(
      file,
      `does not start with JSON: it starts with ${excerpt(trimmed)} (log lines written into the report file?)`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const cut = /Unexpected end of JSON input|Unterminated|end of data/i.test(why);
    throw new TrivyReportError(
      file,
      cut
        ? `is cut off after ${Buffer.byteLength(text)} bytes: the JSON is not complete (Trivy stopped while writing it?)`
        : `is not valid JSON (${why})`,
    );
  }
  if (Array.isArray(doc)) return fromResults(doc, 0, {}, file);
  if (!doc || typeof doc !== 'object') throw new TrivyReportError(file, 'is not a Trivy report (not an object)');
  const d = doc as Record<string, unknown>;
  if (d.SchemaVersion === undefined) {
    throw new TrivyReportError(file, 'is not a Trivy report (no SchemaVersion and not an array of results)');
  }
  if (d.SchemaVersion !== 2) {
    throw new TrivyReportError(
      file,
      `has SchemaVersion ${JSON.stringify(d.SchemaVersion)}, which this action does not read (it reads 2 and the array reports of Trivy before 0.20)`,
    );
  }
  if (d.Results !== undefined && d.Results !== null && !Array.isArray(d.Results)) {
    throw new TrivyReportError(file, 'has Results that is not a list');
  }
  return fromResults((d.Results as unknown[] | undefined) ?? [], 2, d, file);
}

function fromResults(results: unknown[], schemaVersion: number, d: Record<string, unknown>, file: string): TrivyReport {
  const metadata = (d.Metadata ?? {}) as Record<string, unknown>;
  const os = metadata.OS as Record<string, unknown> | undefined;
  const report: TrivyReport = {
    schemaVersion,
    trivyVersion: str((d.Trivy as Record<string, unknown> | undefined)?.Version) || undefined,
    artifactName: str(d.ArtifactName) || undefined,
    createdAt: str(d.CreatedAt) || undefined,
    os: os ? { family: str(os.Family), name: str(os.Name), eosl: os.EOSL === true } : undefined,
    repoDigests: Array.isArray(metadata.RepoDigests) ? metadata.RepoDigests.filter((x) => typeof x === 'string') : [],
    targets: [],
    vulnerabilities: [],
    misconfigurations: [],
    secrets: [],
  };
  const seen = new Set<string>();
  for (const [i, raw] of results.entries()) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new TrivyReportError(file, `has result ${i} that is not an object`);
    }
    const r = raw as Record<string, unknown>;
    const target = str(r.Target);
    const type = str(r.Type);
    const given = str(r.Class) as ResultClass;
    const klass: ResultClass = CLASSES.includes(given)
      ? given
      : Array.isArray(r.Secrets)
        ? 'secret'
        : Array.isArray(r.Misconfigurations)
          ? 'config'
          : OS_TYPES.has(type.toLowerCase())
            ? 'os-pkgs'
            : 'lang-pkgs';
    report.targets.push({ target, class: klass, type });
    for (const v of listOf(r.Vulnerabilities, file, target, 'Vulnerabilities')) {
      const id = str(v.VulnerabilityID);
      const pkgName = str(v.PkgName);
      const installedVersion = str(v.InstalledVersion);
      if (!id)
        throw new TrivyReportError(file, `has a vulnerability without VulnerabilityID in ${JSON.stringify(target)}`);
      const key = JSON.stringify([id, pkgName, installedVersion, target]);
      if (seen.has(key)) continue;
      seen.add(key);
      report.vulnerabilities.push({
        id,
        pkgName,
        installedVersion,
        fixedVersion: str(v.FixedVersion),
        status: str(v.Status) || undefined,
        severity: normalizeSeverity(v.Severity),
        target,
        class: klass,
        title: str(v.Title),
        url: str(v.PrimaryURL),
      });
    }
    for (const m of listOf(r.Misconfigurations, file, target, 'Misconfigurations')) {
      const status = str(m.Status) || 'FAIL';
      if (status !== 'FAIL') continue;
      report.misconfigurations.push({
        id: str(m.ID) || str(m.AVDID),
        title: str(m.Title),
        severity: normalizeSeverity(m.Severity),
        target,
        status,
        url: str(m.PrimaryURL),
      });
    }
    for (const s of listOf(r.Secrets, file, target, 'Secrets')) {
      report.secrets.push({
        ruleId: str(s.RuleID),
        title: str(s.Title),
        severity: normalizeSeverity(s.Severity),
        target,
        startLine: typeof s.StartLine === 'number' ? s.StartLine : undefined,
      });
    }
  }
  return report;
}

function listOf(value: unknown, file: string, target: string, field: string): Array<Record<string, unknown>> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new TrivyReportError(file, `has ${field} in ${JSON.stringify(target)} that is not a list`);
  return value.filter((x): x is Record<string, unknown> => Boolean(x) && typeof x === 'object');
}

/**
 * Whether `--ignore-unfixed` would drop a finding, as Trivy decides it: by status when the
 * report has one (everything not `fixed`), by an empty FixedVersion in reports without status.
 */
export function isUnfixed(v: Pick<Vulnerability, 'status' | 'fixedVersion'>): boolean {
  return v.status !== undefined ? v.status !== 'fixed' : v.fixedVersion === '';
}
