// The job summary of sbom-sign: the digest, the SBOM (format, packages, top licences), what was
// attached where, and the cosign commands that check it independently.
import { addHeading, addTable, addText, cell } from '#shared/action/summary.js';
import { PredicateType } from '#shared/sigstore/in-toto.js';
import type { Attached } from './attach.js';
import type { AttachedBundles } from './attach-bundle.js';
import type { AttachedKeylessLegacy } from './attach-keyless-legacy.js';
import type { KeyAttachedBundles } from './key-bundles.js';
import type { SbomResult } from './main.js';

/** cosign's `--type` name for a predicate type (the URI itself is accepted too). */
export function cosignTypeName(predicateType: string): string {
  switch (predicateType) {
    case PredicateType.spdx:
      return 'spdxjson';
    case PredicateType.cyclonedx:
      return 'cyclonedx';
    case PredicateType.slsaProvenance:
      return 'slsaprovenance1';
    case PredicateType.vuln:
      return 'vuln';
    default:
      return predicateType;
  }
}

/** The commands a user runs to check what was attached; the image is quoted for the shell. */
export function cosignCommands(pinned: string, attached: Attached): string[] {
  const image = `'${pinned.replace(/'/g, `'\\''`)}'`;
  const commands: string[] = [];
  // key-based signatures are not in a transparency log: cosign must be told not to look for one
  if (attached.signature) commands.push(`cosign verify --key cosign.pub --insecure-ignore-tlog=true ${image}`);
  for (const a of attached.attestations) {
    commands.push(
      `cosign verify-attestation --key cosign.pub --insecure-ignore-tlog=true --type ${cosignTypeName(a.predicateType)} ${image}`,
    );
  }
  return commands;
}

export function writeSignSummary(report: {
  pinned: string;
  digest: string;
  sbom: SbomResult | undefined;
  attached: Attached;
  keySource: string | undefined;
}): void {
  addHeading('SBOM and signatures');
  addText(`<p>Image <code>${cell(report.pinned)}</code></p>`);
  if (report.sbom) {
    const top = report.sbom.info.topLicenses
      .slice(0, 5)
      .map((l) => `${l.license} (${l.packages})`)
      .join(', ');
    addTable(
      ['SBOM', 'format', 'packages', 'top licences', 'digest'],
      [
        [
          report.sbom.path,
          report.sbom.info.version,
          String(report.sbom.info.packages),
          top || 'none declared',
          report.sbom.digest,
        ],
      ],
    );
  }
  const rows: string[][] = [];
  const signer = report.keySource ? `key (${report.keySource})` : '';
  if (report.attached.signature) {
    const s = report.attached.signature;
    rows.push(['signature', 'cosign simple signing', signer, `${s.tag} (${s.status})`]);
  }
  for (const a of report.attached.attestations)
    rows.push(['attestation', a.predicateType, signer, `${a.tag} (${a.status})`]);
  if (rows.length) addTable(['what', 'type', 'signed with', 'stored in'], rows);
  const commands = cosignCommands(report.pinned, report.attached);
  if (commands.length) {
    addText('<p>Check with cosign (cosign.pub is the public key of the signing key):</p>');
    addText(`<pre><code>${cell(commands.join('\n'))}</code></pre>`);
  }
}

/** cosign v3 finds bundle referrers by itself; the identity and issuer are what the certificate says. */
export function keylessCommands(pinned: string, bundles: AttachedBundles, issuer: string | undefined): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const who = `--certificate-identity ${q(bundles.identity ?? '')} --certificate-oidc-issuer ${q(issuer ?? '')}`;
  return [
    `cosign verify ${who} ${q(pinned)}`,
    ...bundles.attestations.map(
      (a) => `cosign verify-attestation ${who} --type ${cosignTypeName(a.predicateType)} ${q(pinned)}`,
    ),
  ];
}

function sbomTable(sbom: SbomResult | undefined): void {
  if (!sbom) return;
  const top = sbom.info.topLicenses
    .slice(0, 5)
    .map((l) => `${l.license} (${l.packages})`)
    .join(', ');
  addTable(
    ['SBOM', 'format', 'packages', 'top licences', 'digest'],
    [[sbom.path, sbom.info.version, String(sbom.info.packages), top || 'none declared', sbom.digest]],
  );
}

export function writeKeylessSummary(report: {
  pinned: string;
  sbom: SbomResult | undefined;
  bundles: AttachedBundles;
  issuer: string | undefined;
  where: (b: { listedBy: string }) => string;
}): void {
  addHeading('SBOM and signatures');
  addText(`<p>Image <code>${cell(report.pinned)}</code></p>`);
  sbomTable(report.sbom);
  const identity = `${report.bundles.identity ?? 'unknown'} (${report.issuer ?? 'unknown issuer'})`;
  const row = (what: string, b: AttachedBundles['signature']) => [
    what,
    b.predicateType,
    identity,
    b.logIndex ?? 'none (tlog off)',
    `${b.digest}, ${report.where(b)}`,
  ];
  addTable(
    ['what', 'type', 'signed by', 'Rekor log index', 'stored in'],
    [row('signature', report.bundles.signature), ...report.bundles.attestations.map((a) => row('attestation', a))],
  );
  addText('<p>Check with cosign v3 (add <code>--trusted-root</code> for a private Sigstore instance):</p>');
  addText(`<pre><code>${cell(keylessCommands(report.pinned, report.bundles, report.issuer).join('\n'))}</code></pre>`);
}

/** cosign v3 finds bundle referrers by itself and verifies them with the key. */
export function keyBundleCommands(pinned: string, bundles: KeyAttachedBundles, tlog: boolean): string[] {
  const image = `'${pinned.replace(/'/g, `'\\''`)}'`;
  // without a log entry cosign must be told not to look for one
  const flags = tlog ? '--key cosign.pub' : '--key cosign.pub --insecure-ignore-tlog=true';
  return [
    `cosign verify ${flags} ${image}`,
    ...bundles.attestations.map(
      (a) => `cosign verify-attestation ${flags} --type ${cosignTypeName(a.predicateType)} ${image}`,
    ),
  ];
}

export function writeKeyBundleSummary(report: {
  pinned: string;
  sbom: SbomResult | undefined;
  bundles: KeyAttachedBundles;
  keySource: string;
  tlog: boolean;
  where: (b: { listedBy: string }) => string;
}): void {
  addHeading('SBOM and signatures');
  addText(`<p>Image <code>${cell(report.pinned)}</code></p>`);
  sbomTable(report.sbom);
  const row = (what: string, b: KeyAttachedBundles['signature']) => [
    what,
    b.predicateType,
    `key (${report.keySource})`,
    b.logIndex ?? 'none',
    `${b.digest} (${b.status}), ${report.where(b)}`,
  ];
  addTable(
    ['what', 'type', 'signed with', 'Rekor log index', 'stored in'],
    [row('signature', report.bundles.signature), ...report.bundles.attestations.map((a) => row('attestation', a))],
  );
  addText(
    '<p>Check with cosign v3 (cosign.pub is the public key of the signing key; cosign 2.x needs <code>--new-bundle-format</code>):</p>',
  );
  addText(`<pre><code>${cell(keyBundleCommands(report.pinned, report.bundles, report.tlog).join('\n'))}</code></pre>`);
}

/** cosign 2.x reads the legacy tags; the identity and issuer are what the certificate says. */
export function keylessLegacyCommands(
  pinned: string,
  attached: {
    identity: string;
    signature: { logIndex?: string };
    attestations: ReadonlyArray<{ predicateType: string }>;
  },
  issuer: string | undefined,
): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // without a log entry the signing time is the TSA's: cosign must be told to use it instead
  const untimed = attached.signature.logIndex === undefined;
  const who = `--certificate-identity ${q(attached.identity)} --certificate-oidc-issuer ${q(issuer ?? '')}${
    untimed ? ' --insecure-ignore-tlog=true --use-signed-timestamps --timestamp-certificate-chain tsa-chain.pem' : ''
  }`;
  return [
    `cosign verify ${who} ${q(pinned)}`,
    ...attached.attestations.map(
      (a) => `cosign verify-attestation ${who} --type ${cosignTypeName(a.predicateType)} ${q(pinned)}`,
    ),
  ];
}

export function writeKeylessLegacySummary(report: {
  pinned: string;
  sbom: SbomResult | undefined;
  attached: AttachedKeylessLegacy;
  issuer: string | undefined;
}): void {
  addHeading('SBOM and signatures');
  addText(`<p>Image <code>${cell(report.pinned)}</code></p>`);
  sbomTable(report.sbom);
  const identity = `${report.attached.identity || 'unknown'} (${report.issuer ?? 'unknown issuer'})`;
  const row = (what: string, type: string, w: AttachedKeylessLegacy['signature']) => [
    what,
    type,
    identity,
    w.logIndex ?? 'none (tlog off)',
    `${w.tag} (${w.status})`,
  ];
  addTable(
    ['what', 'type', 'signed by', 'Rekor log index', 'stored in'],
    [
      row('signature', 'cosign simple signing', report.attached.signature),
      ...report.attached.attestations.map((a) => row('attestation', a.predicateType, a)),
    ],
  );
  const tsa =
    report.attached.signature.logIndex === undefined
      ? ' No transparency log entry: tsa-chain.pem is the certificate chain of the timestamp authority.'
      : '';
  addText(
    `<p>Check with cosign 2.x (for a private Sigstore instance set SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE).${tsa}</p>`,
  );
  addText(
    `<pre><code>${cell(keylessLegacyCommands(report.pinned, report.attached, report.issuer).join('\n'))}</code></pre>`,
  );
}
