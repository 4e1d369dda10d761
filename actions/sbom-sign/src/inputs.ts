// Every input of the sbom-sign action, read once and validated into one typed object. The key
// and its password are masked the moment they are read.
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  getBooleanInput,
  getEnumInput,
  getInput,
  getListInput,
  getRawInput,
  getRequiredInput,
} from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { parseReference, type Reference } from '#shared/oci/reference.js';
import { DEFAULT_TRIVY_VERSION } from '#shared/trivy/checksums.js';
import { DEFAULT_TRIVY_DOWNLOAD_URL, type TrivySource } from '#shared/trivy/install.js';
import { PUBLIC_FULCIO_URL, PUBLIC_REKOR_URL } from '#shared/sigstore/keyless.js';
import { SBOM_FORMATS, type SbomFormat } from './sbom.js';

export const SIGN_MODES = ['keyless', 'key', 'none'] as const;
export type SignMode = (typeof SIGN_MODES)[number];
export const FORMATS = ['auto', 'legacy', 'bundle'] as const;
export type SignatureFormat = Exclude<(typeof FORMATS)[number], 'auto'>;

export interface KeylessInputs {
  fulcioUrl: string;
  /** undefined with tlog: false */
  rekorUrl: string | undefined;
  tsaUrl: string | undefined;
}
export const ATTESTATIONS = ['sbom', 'provenance', 'vuln'] as const;
export type AttestationKind = (typeof ATTESTATIONS)[number];

export type SbomSource = { kind: 'generate' } | { kind: 'file'; path: string } | { kind: 'none' };

export interface SbomSignInputs {
  image: Reference;
  sbom: SbomSource;
  sbomFormat: SbomFormat;
  /** where the trivy of `sbom: generate` comes from (trivy-path, else a verified install) */
  trivy: TrivySource;
  sign: SignMode;
  /** the key file's text (masked) */
  key: string | undefined;
  keyPassword: string | undefined;
  attest: AttestationKind[];
  vulnReport: string | undefined;
  /** the storage format asked for: auto is decided once the registry can be asked (format.ts) */
  format: SignatureFormat | 'auto';
  keyless: KeylessInputs | undefined;
  /** key-based bundles: the Rekor that logs them (tlog: true with a rekor-url); else no log entry */
  keyRekorUrl: string | undefined;
  /** sign each platform manifest of an index as well */
  signPlatforms: boolean;
  /** the workflow artifact's name, when `upload-artifact` is true */
  artifactName: string | undefined;
}

function parseUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`'${value}' is not a URL (expected https://host[/path])`, name);
  }
  if (
    url.protocol !== 'https:' &&
    !(url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  ) {
    throw new ConfigurationError(`'${value}' must be an https URL (http only on loopback)`, name);
  }
  return value.replace(/\/+$/, '');
}

export function parseKeyless(
  fulcio: string | undefined,
  rekor: string | undefined,
  tsa: string | undefined,
  tlog: boolean,
): KeylessInputs {
  const tsaUrl = tsa === undefined ? undefined : parseUrl('tsa-url', tsa);
  if (!tlog && tsaUrl === undefined) {
    throw new ConfigurationError(
      'is required for keyless signing with tlog: false (a signature needs a trusted time)',
      'tsa-url',
    );
  }
  return {
    fulcioUrl: parseUrl('fulcio-url', fulcio ?? PUBLIC_FULCIO_URL),
    rekorUrl: tlog ? parseUrl('rekor-url', rekor ?? PUBLIC_REKOR_URL) : undefined,
    tsaUrl,
  };
}

/**
 * Key-based signatures are logged only where the user names a log: key signing never sent
 * anything to the public Rekor, and a default must not start to.
 */
export function parseKeyRekor(rekor: string | undefined, tlog: boolean): string | undefined {
  return tlog && rekor !== undefined ? parseUrl('rekor-url', rekor) : undefined;
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
  // without a key the default is keyless; a key given without `sign` means key
  const sign = getEnumInput('sign', SIGN_MODES, key === undefined ? 'keyless' : 'key');
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
  const format = getEnumInput('format', FORMATS, 'auto');
  const signPlatforms = getBooleanInput('sign-platforms', false);
  if (signPlatforms && sign === 'none') {
    throw new ConfigurationError('needs a signature (sign: keyless or key)', 'sign-platforms');
  }
  const artifactName = getInput('artifact-name') ?? 'sbom-sign';
  // the artifact service refuses these characters in a name
  if (/["<>|*?\r\n\\/:]/.test(artifactName)) {
    throw new ConfigurationError(
      `'${artifactName}' holds a character artifact names cannot have (" : < > | * ? \\ / or a line break)`,
      'artifact-name',
    );
  }
  return {
    image,
    sbom,
    signPlatforms,
    artifactName: getBooleanInput('upload-artifact', false) ? artifactName : undefined,
    sbomFormat: getEnumInput('sbom-format', SBOM_FORMATS, 'spdx-json'),
    trivy: {
      path: getInput('trivy-path'),
      version: getInput('trivy-version') ?? DEFAULT_TRIVY_VERSION,
      downloadUrl: getInput('trivy-download-url') ?? DEFAULT_TRIVY_DOWNLOAD_URL,
      checksum: getInput('trivy-checksum'),
    },
    sign,
    key,
    keyPassword,
    attest,
    vulnReport,
    format,
    keyless:
      sign === 'keyless'
        ? parseKeyless(
            getInput('fulcio-url'),
            getInput('rekor-url'),
            getInput('tsa-url'),
            getBooleanInput('tlog', true),
          )
        : undefined,
    keyRekorUrl: sign === 'key' ? parseKeyRekor(getInput('rekor-url'), getBooleanInput('tlog', true)) : undefined,
  };
}
