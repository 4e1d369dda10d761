// Exemptions: `CVE-2024-1234 [until 2027-01-31] [pkg=openssl] [reason …]` lines. An exemption
// holds through the whole `until` day (UTC) and stops exempting after it; an expired one is
// reported as expired so it gets renewed or removed rather than silently forgotten.
import { ConfigurationError } from '#shared/errors.js';
import type { Vulnerability } from '#shared/trivy/report.js';

export interface Exemption {
  id: string;
  /** only findings in this package, when given */
  pkg: string | undefined;
  /** YYYY-MM-DD, inclusive */
  until: string | undefined;
  reason: string | undefined;
  /** the line as written, for messages */
  line: string;
}

const ID = /^[A-Za-z][A-Za-z0-9._:-]*-[A-Za-z0-9._:-]+$/;

export function parseExemptions(lines: readonly string[], input = 'exemptions'): Exemption[] {
  const out: Exemption[] = [];
  for (const line of lines) {
    const words = line.trim().split(/\s+/);
    const id = words.shift() ?? '';
    if (!ID.test(id)) {
      throw new ConfigurationError(
        `'${line}' does not start with a vulnerability ID (expected lines such as 'CVE-2024-1234 until 2027-01-31 pkg=openssl reason waiting for the base image')`,
        input,
      );
    }
    const e: Exemption = { id, pkg: undefined, until: undefined, reason: undefined, line: line.trim() };
    while (words.length > 0) {
      const w = words.shift() as string;
      if (w === 'until') {
        const date = words.shift() ?? '';
        if (!validDate(date)) {
          throw new ConfigurationError(`'${line}': '${date}' after until is not a date (expected YYYY-MM-DD)`, input);
        }
        e.until = date;
      } else if (w.startsWith('pkg=') && w.length > 4) {
        e.pkg = w.slice(4);
      } else if (w === 'reason') {
        e.reason = words.join(' ') || undefined;
        words.length = 0;
      } else {
        throw new ConfigurationError(
          `'${line}': '${w}' is not understood (expected 'until YYYY-MM-DD', 'pkg=NAME' and 'reason TEXT', in that form)`,
          input,
        );
      }
    }
    out.push(e);
  }
  return out;
}

function validDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

/** Expired once the `until` day (UTC) is over. */
export function isExpired(e: Exemption, now: Date): boolean {
  if (!e.until) return false;
  return now.getTime() >= Date.parse(`${e.until}T00:00:00Z`) + 24 * 3600 * 1000;
}

export function exemptionMatches(e: Exemption, v: Pick<Vulnerability, 'id' | 'pkgName'>): boolean {
  return e.id.toUpperCase() === v.id.toUpperCase() && (e.pkg === undefined || e.pkg === v.pkgName);
}
