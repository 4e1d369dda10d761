// cosign's vuln predicate (https://cosign.sigstore.dev/attestation/vuln/v1) around a Trivy JSON
// report, as `cosign attest --type vuln` with a Trivy report produces it.
import { ConfigurationError } from '#shared/errors.js';

export function vulnPredicate(report: Buffer, path: string): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: a Trivy report is foreign JSON, read field by field
  let doc: any;
  try {
    doc = JSON.parse(report.toString('utf8'));
  } catch {
    throw new ConfigurationError(`'${path}' is not JSON (expected the JSON report of trivy-scan)`, 'vuln-report');
  }
  if (
    !doc ||
    typeof doc !== 'object' ||
    Array.isArray(doc) ||
    doc.SchemaVersion !== 2 ||
    !Array.isArray(doc.Results ?? [])
  ) {
    throw new ConfigurationError(`'${path}' is not a Trivy JSON report (SchemaVersion 2 with Results)`, 'vuln-report');
  }
  const version = typeof doc.Trivy?.Version === 'string' ? doc.Trivy.Version : '';
  const created = typeof doc.CreatedAt === 'string' ? doc.CreatedAt : '';
  return {
    invocation: { parameters: null, uri: '', event_id: '', 'builder.id': '' },
    scanner: {
      uri: version ? `pkg:github/aquasecurity/trivy@${version}` : 'pkg:github/aquasecurity/trivy',
      version,
      db: { uri: '', version: '' },
      result: doc,
    },
    metadata: { scanStartedOn: created, scanFinishedOn: created },
  };
}
