// Every input of trivy-scan, read once and validated into one typed object.
import { isAbsolute, join, resolve } from 'node:path';
import {
  getBooleanInput,
  getEnumInput,
  getInput,
  getIntegerInput,
  getLineListInput,
  getListInput,
} from '#shared/action/inputs.js';
import { ConfigurationError } from '#shared/errors.js';
import { parseReference, type Reference } from '#shared/oci/reference.js';
import { DEFAULT_TRIVY_VERSION } from '#shared/trivy/checksums.js';
import { parseDbRepositories } from '#shared/trivy/db.js';
import { DEFAULT_TRIVY_DOWNLOAD_URL } from '#shared/trivy/install.js';
import { SEVERITIES, type Severity } from '#shared/trivy/report.js';
import { type Exemption, parseExemptions } from './exemptions.js';
import type { Limits } from './gate.js';

export const POLICIES = ['block', 'warn', 'allow'] as const;
export type Policy = (typeof POLICIES)[number];

/** Formats `trivy convert` writes, with the file extension each gets. */
export const EXTRA_FORMATS: Readonly<Record<string, string>> = {
  table: 'txt',
  cyclonedx: 'cdx.json',
  'spdx-json': 'spdx.json',
  spdx: 'spdx',
  github: 'github.json',
  'cosign-vuln': 'cosign-vuln.json',
  sarif: 'sarif',
  json: 'json',
};

export interface TrivyScanInputs {
  /** the image as given; undefined when `input` is used */
  image: Reference | undefined;
  imageText: string | undefined;
  input: string | undefined;
  configDir: string | undefined;
  platform: string | undefined;
  trivyVersion: string;
  trivyPath: string | undefined;
  trivyDownloadUrl: string;
  trivyChecksum: string | undefined;
  severities: Severity[];
  limits: Limits;
  ignoreUnfixed: boolean;
  policy: Policy;
  failOnEosl: boolean;
  exemptions: Exemption[];
  trivyignore: string[];
  dbRepositories: Reference[];
  javaDbRepositories: Reference[];
  cacheDb: boolean;
  cacheDir: string;
  sarif: string | undefined;
  report: string;
  formatExtra: string[];
  uploadArtifact: boolean;
  artifactName: string;
  timeout: string | undefined;
}

function limit(name: string): number | undefined {
  return getIntegerInput(name, { min: 0 });
}

function workspacePath(p: string, cwd: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}

export function readInputs(env: NodeJS.ProcessEnv = process.env): TrivyScanInputs {
  const cwd = env.GITHUB_WORKSPACE || process.cwd();
  const imageText = getInput('image');
  const input = getInput('input');
  if (imageText && input) {
    throw new ConfigurationError(
      'and input were both given (scan either an image from a registry or a local layout/tarball)',
      'image',
    );
  }
  if (!imageText && !input) {
    throw new ConfigurationError('is required (an image such as ghcr.io/acme/api@sha256:…, or give input)', 'image');
  }
  const image = imageText ? parseReference(imageText, { input: 'image', defaultTag: true }) : undefined;

  const severityList = getListInput('severity').map((s) => s.toUpperCase());
  for (const s of severityList) {
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      throw new ConfigurationError(`'${s}' is not a severity (expected some of: ${SEVERITIES.join(', ')})`, 'severity');
    }
  }
  const severities = severityList.length > 0 ? (severityList as Severity[]) : [...SEVERITIES];

  const formatExtra = getListInput('format-extra').map((f) => f.toLowerCase());
  for (const f of formatExtra) {
    if (!(f in EXTRA_FORMATS)) {
      throw new ConfigurationError(
        `'${f}' is not a format trivy convert writes (expected some of: ${Object.keys(EXTRA_FORMATS).join(', ')})`,
        'format-extra',
      );
    }
  }
  const runnerTemp = env.RUNNER_TEMP || join(cwd, '.trivy-scan');
  const reportInput = getInput('report');
  const sarif = getInput('sarif');
  const home = env.HOME || '/tmp';
  const trivyignore = getLineListInput('trivyignore').map((p) => workspacePath(p, cwd));
  const yamlIgnores = trivyignore.filter((p) => /\.ya?ml$/i.test(p));
  if (yamlIgnores.length > 0 && trivyignore.length > 1) {
    throw new ConfigurationError(
      'mixes a .trivyignore.yaml with other files; Trivy reads one ignore file, so give one YAML file or any number of plain .trivyignore files (they are joined)',
      'trivyignore',
    );
  }
  const version = getInput('trivy-version') ?? DEFAULT_TRIVY_VERSION;
  return {
    image,
    imageText,
    input: input ? workspacePath(input, cwd) : undefined,
    configDir: getInput('config-dir'),
    platform: getInput('platform'),
    trivyVersion: version,
    trivyPath: getInput('trivy-path'),
    trivyDownloadUrl: getInput('trivy-download-url') ?? DEFAULT_TRIVY_DOWNLOAD_URL,
    trivyChecksum: getInput('trivy-checksum'),
    severities,
    limits: {
      CRITICAL: limit('max-critical'),
      HIGH: limit('max-high'),
      MEDIUM: limit('max-medium'),
      LOW: limit('max-low'),
      UNKNOWN: limit('max-unknown'),
      misconfigurations: limit('max-misconfigurations'),
      secrets: limit('max-secrets'),
    },
    ignoreUnfixed: getBooleanInput('ignore-unfixed', false),
    policy: getEnumInput('policy', POLICIES, 'block'),
    failOnEosl: getBooleanInput('fail-on-eosl', false),
    exemptions: parseExemptions(getLineListInput('exemptions')),
    trivyignore,
    dbRepositories: parseDbRepositories(getListInput('db-repository'), 'db-repository'),
    javaDbRepositories:
      getListInput('java-db-repository').length === 0
        ? []
        : parseDbRepositories(getListInput('java-db-repository'), 'java-db-repository'),
    cacheDb: getBooleanInput('cache-db', true),
    cacheDir: workspacePath(getInput('cache-dir') ?? join(home, '.cache', 'trivy'), cwd),
    sarif: sarif ? workspacePath(sarif, cwd) : undefined,
    report: workspacePath(reportInput ?? join(runnerTemp, 'trivy-scan', 'report.json'), cwd),
    formatExtra,
    uploadArtifact: getBooleanInput('upload-artifact', false),
    artifactName: getInput('artifact-name') ?? 'trivy-scan',
    timeout: getInput('timeout'),
  };
}
