// Reads every input of build-push once into one typed object, validated; nothing else reads inputs.
import {
  getBooleanInput,
  getEnumInput,
  getInput,
  getIntegerInput,
  getKeyValueInput,
  getLineListInput,
  getListInput,
  getRawInput,
  getSizeInput,
} from '#shared/action/inputs.js';
import { maskSecret } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';

export const BUILDERS = ['auto', 'buildx', 'docker', 'buildah'] as const;
export type BuilderChoice = (typeof BUILDERS)[number];

export interface Annotation {
  /** where it goes, as buildx spells it */
  level: 'manifest' | 'index' | 'manifest-descriptor' | 'index-descriptor' | 'default';
  key: string;
  value: string;
  /** `manifest[linux/amd64,linux/arm64]:`: only the images of these platforms get it */
  platforms?: string[];
}

export interface Inputs {
  context: string;
  file?: string;
  target?: string;
  buildArgs: Array<[string, string]>;
  labels: Array<[string, string]>;
  annotations: Annotation[];
  tags: string[];
  platforms: string[];
  push: boolean;
  load: boolean;
  /** id -> value; values are masked as soon as they are read */
  secrets: Array<[string, string]>;
  /** id -> path */
  secretFiles: Array<[string, string]>;
  builder: BuilderChoice;
  cacheFrom: string[];
  cacheTo: string[];
  cache?: 'gha';
  provenance: string;
  pushByDigest: boolean;
  merge: string[];
  maxSize?: number;
  retries: number;
}

/** The annotation as it was written in the input, without its value. */
export function annotationKey(a: Annotation): string {
  if (a.level === 'default') return a.key;
  return `${a.level}${a.platforms ? `[${a.platforms.join(',')}]` : ''}:${a.key}`;
}

/** linux/arm64/v8 is linux/arm64, as buildx and the registries treat it. */
export function samePlatform(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/^([^/]+\/arm64)\/v8$/, '$1');
  return norm(a) === norm(b);
}

/** The annotations that apply to an image of this platform (unqualified ones apply to all). */
export function appliesTo(a: Annotation, platform: string): boolean {
  return !a.platforms || a.platforms.some((p) => samePlatform(p, platform));
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

const ANNOTATION_LEVEL = /^(manifest|index|manifest-descriptor|index-descriptor)(?:\[([^\]]*)\])?:(.*)$/;

export function parseAnnotations(pairs: Array<[string, string]>): Annotation[] {
  return pairs.map(([rawKey, value]) => {
    const m = ANNOTATION_LEVEL.exec(rawKey);
    const level = (m?.[1] ?? 'default') as Annotation['level'];
    const key = m ? (m[3] as string) : rawKey;
    if (key === '') throw new ConfigurationError(`'${rawKey}' has no annotation key`, 'annotations');
    if (m?.[2] === undefined) return { level, key, value };
    // buildx takes a platform only where there is one image per platform
    if (level !== 'manifest' && level !== 'manifest-descriptor') {
      throw new ConfigurationError(
        `'${rawKey}': a platform can only qualify manifest[...] or manifest-descriptor[...] annotations (an index is shared by every platform)`,
        'annotations',
      );
    }
    const platforms = m[2].split(',').map((p) => p.trim());
    const bad = platforms.find((p) => !PLATFORM.test(p));
    if (bad !== undefined) {
      throw new ConfigurationError(
        `'${rawKey}': '${bad}' is not a platform (expected ${level}[os/arch[/variant],...]:key, such as ${level}[linux/arm64]:key)`,
        'annotations',
      );
    }
    return { level, key, value, platforms };
  });
}

const SECRET_ID = /^[A-Za-z0-9_.-]+$/;

/**
 * The `secrets` input: `id=value` lines. Every line is masked before it is parsed, so a line
 * that is not well formed (`NPM_TOKEN: npm_…`, a pasted value) is a secret all the same; errors
 * name the line by its number and never quote it.
 */
export function readSecretLines(text: string | undefined, mask: (secret: string) => void): Array<[string, string]> {
  if (text === undefined) return [];
  const lines = text.split(/\r\n|\r|\n/);
  for (const line of lines) if (line.trim() !== '') mask(line.trim());
  const pairs: Array<[string, string]> = [];
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const what = `line ${i + 1} (not shown: it may hold a secret)`;
    if (eq <= 0)
      throw new ConfigurationError(`${what} is not an id=value line (expected one id=value per line)`, 'secrets');
    const id = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (!SECRET_ID.test(id)) {
      throw new ConfigurationError(`${what} has an id that is not only letters, digits, '_', '.' and '-'`, 'secrets');
    }
    mask(value);
    pairs.push([id, value]);
  }
  return pairs;
}

export function readInputs(): Inputs {
  const secrets = readSecretLines(getRawInput('secrets'), maskSecret);
  const platforms = getListInput('platforms');
  for (const p of platforms) {
    if (!PLATFORM.test(p)) {
      throw new ConfigurationError(
        `'${p}' is not a platform (expected os/arch[/variant], such as linux/arm64)`,
        'platforms',
      );
    }
  }
  const cache = getInput('cache');
  if (cache !== undefined && cache !== 'gha') {
    throw new ConfigurationError(`'${cache}' is not accepted (expected gha, or nothing)`, 'cache');
  }
  const provenance = getInput('provenance') ?? 'false';
  const inputs: Inputs = {
    context: getInput('context') ?? '.',
    file: getInput('file'),
    target: getInput('target'),
    buildArgs: getKeyValueInput('build-args'),
    labels: getKeyValueInput('labels'),
    annotations: parseAnnotations(getKeyValueInput('annotations')),
    tags: getListInput('tags'),
    platforms,
    push: getBooleanInput('push', true),
    load: getBooleanInput('load', false),
    secrets,
    secretFiles: getKeyValueInput('secret-files'),
    builder: getEnumInput('builder', BUILDERS, 'auto'),
    cacheFrom: getLineListInput('cache-from'),
    cacheTo: getLineListInput('cache-to'),
    cache: cache as 'gha' | undefined,
    provenance,
    pushByDigest: getBooleanInput('push-by-digest', false),
    merge: getListInput('merge'),
    maxSize: getSizeInput('max-size'),
    retries: getIntegerInput('retries', { default: 3, min: 0, max: 10 }),
  };
  validate(inputs);
  return inputs;
}

/** Checks that need several inputs together. */
export function validate(inputs: Inputs): void {
  // an id of `secrets` is not quoted: a malformed line may have put a secret in it
  if (inputs.secrets.some(([id]) => !SECRET_ID.test(id))) {
    throw new ConfigurationError(`a secret id may only hold letters, digits, '_', '.' and '-'`, 'secrets');
  }
  for (const [id] of inputs.secretFiles) {
    if (!SECRET_ID.test(id)) {
      throw new ConfigurationError(`secret id '${id}' may only hold letters, digits, '_', '.' and '-'`, 'secret-files');
    }
  }
  if ((inputs.push || inputs.merge.length > 0) && inputs.tags.length === 0) {
    throw new ConfigurationError(
      'is required to push (full image references such as ghcr.io/org/app:1.4.0; set push: false to only build)',
      'tags',
    );
  }
  if (inputs.merge.length > 0) {
    if (inputs.pushByDigest) throw new ConfigurationError('cannot be used together with merge', 'push-by-digest');
    if (!inputs.push)
      throw new ConfigurationError('merge always pushes the index; push: false cannot be used with it', 'push');
  }
  if (inputs.pushByDigest && !inputs.push) {
    throw new ConfigurationError('push-by-digest pushes; it cannot be used with push: false', 'push-by-digest');
  }
  if (inputs.builder === 'docker' && inputs.platforms.length > 1) {
    throw new ConfigurationError(
      `the docker builder builds one platform only; ${inputs.platforms.length} were asked for (use builder: buildx or buildah for several platforms)`,
      'platforms',
    );
  }
  if (!/^(true|false|mode=(min|max)|[a-z]+=.*)$/.test(inputs.provenance)) {
    throw new ConfigurationError(
      `'${inputs.provenance}' is not accepted (expected true, false or a buildx provenance value such as mode=max)`,
      'provenance',
    );
  }
}
