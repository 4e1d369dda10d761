// Every input of the sbom-sign action, read once and validated into one typed object. The key
// and its password are masked the moment they are read.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { getEnumInput, getInput, getListInput, getRawInput, getRequiredInput } from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { parseReference, type Reference } from '#shared/oci/reference.js';
import { SBOM_FORMATS, type SbomFormat } from './sbom.js';

export const SIGN_MODES = ['key', 'none'] as const;
export type SignMode = (typeof SIGN_MODES)[number];
export const FORMATS = ['legacy'] as const;
export type SignatureFormat = (typeof FORMATS)[number];
export const ATTESTATIONS = ['sbom', 'provenance', 'vuln'] as const;
export type AttestationKind = (typeof ATTESTATIONS)[number];

export type SbomSource = { kind: 'generate' } | { kind: 'file'; path: string } | { kind: 'none' };

export interface SbomSignInputs {
  image: Reference;
  sbom: SbomSource;
  sbomFormat: SbomFormat;
  /** the trivy executable for `sbom: generate` */
  trivyPath: string;
  sign: SignMode;
  /** the key file's text (masked) */
  key: string | undefined;
  keyPassword: string | undefined;
  attest: AttestationKind[];
  vulnReport: string | undefined;
  format: SignatureFormat;
}

export function parseImage(text: string): Reference {
  const ref = parseReference(text, { input: 'image', defaultTag: false });
  if (!ref.tag && !ref.digest) {
    throw new ConfigurationError(`'${text}' names no tag or digest (expected name@sha256:... or name:tag)`, 'image');
  }
  return ref;
}

export function parseSbomSource(text: string | undefined): SbomSource {
  if (text === undefined || text.toLowerCase() === 'generate') return { kind: 'generate' };
  if (text.toLowerCase() === 'none') return { kind: 'none' };
  if (!existsSync(text) || !statSync(text).isFile()) {
    throw new ConfigurationError(
      `'${text}' is not a file (expected generate, none, or the path of an SBOM file)`,
      'sbom',
    );
  }
  return { kind: 'file', path: text };
}

export function parseAttest(items: readonly string[]): AttestationKind[] {
  if (items.length === 1 && items[0]?.toLowerCase() === 'none') return [];
  const out: AttestationKind[] = [];
  for (const item of items) {
    const kind = ATTESTATIONS.find((a) => a === item.toLowerCase());
    if (!kind) {
      throw new ConfigurationError(
        `'${item}' is not accepted (expected none or a list of: ${ATTESTATIONS.join(', ')})`,
        'attest',
      );
    }
    if (!out.includes(kind)) out.push(kind);
  }
  return out;
}

/** The key input is the key's text, or a path to a file holding it. */
export function readKeyText(value: string): string {
  if (value.includes('-----BEGIN')) return value;
  const path = value.trim();
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new ConfigurationError('is neither a PEM private key nor the path of a key file', 'key');
  }
  return readFileSync(path, 'utf8');
}

export function getInputs(): SbomSignInputs {
  // secrets first: masked before anything can print them
  const rawKey = getRawInput('key');
  const keyPassword = getRawInput('key-password');
  maskSecret(rawKey);
  maskSecret(keyPassword);
  let key: string | undefined;
  if (rawKey !== undefined) {
    key = readKeyText(rawKey);
    for (const line of key.split(/\r?\n/)) if (line.trim() && !line.startsWith('-----')) maskSecret(line.trim());
  }

  const image = parseImage(getRequiredInput('image'));
  const sign = getEnumInput('sign', SIGN_MODES, 'key');
  if (sign === 'key' && key === undefined) {
    throw new ConfigurationError(
      'is required with sign: key (the text or path of a cosign or PKCS#8 private key)',
      'key',
    );
  }
  const attest = parseAttest(getListInput('attest').length ? getListInput('attest') : ['sbom', 'provenance']);
  if (attest.length && sign === 'none') {
    throw new ConfigurationError(
      `attestations are signed: with sign: none set attest: none (asked for ${attest.join(', ')})`,
      'attest',
    );
  }
  const sbom = parseSbomSource(getInput('sbom'));
  if (attest.includes('sbom') && sbom.kind === 'none') {
    throw new ConfigurationError(
      'an sbom attestation needs an SBOM: with sbom: none leave sbom out of attest',
      'attest',
    );
  }
  const vulnReport = getInput('vuln-report');
  if (attest.includes('vuln') && vulnReport === undefined) {
    throw new ConfigurationError(
      'is required when attest includes vuln (the JSON report of trivy-scan)',
      'vuln-report',
    );
  }
  if (vulnReport !== undefined && (!existsSync(vulnReport) || !statSync(vulnReport).isFile())) {
    throw new ConfigurationError(
      `'${vulnReport}' is not a file (expected the JSON report of trivy-scan)`,
      'vuln-report',
    );
  }
  return {
    image,
    sbom,
    sbomFormat: getEnumInput('sbom-format', SBOM_FORMATS, 'spdx-json'),
    trivyPath: getInput('trivy-path') ?? 'trivy',
    sign,
    key,
    keyPassword,
    attest,
    vulnReport,
    format: getEnumInput('format', FORMATS, 'legacy'),
  };
}
