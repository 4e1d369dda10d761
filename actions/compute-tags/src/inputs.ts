// Every input of compute-tags, read once and validated into one typed object, with the
// DOCKER_METADATA_* environment variables docker/metadata-action reads, so that a workflow
// switching over keeps its `env:` block working.
import { getEnumInput, getInput, getIntegerInput, getLineListInput, getRequiredInput } from '#shared/action/inputs.js';
import { readInput } from '#shared/action/protocol.js';
import { warning } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { parseList } from '#shared/parse.js';
import { FLOATING_MODES, type FloatingMode } from './floating.js';
import { type ImageName, parseImages } from './images.js';
import { ANNOTATION_LEVEL_NAME } from './labels.js';
import { type Flavor, parseFlavor, parseRules, type Rule } from './rules.js';

export interface ComputeTagsInputs {
  images: ImageName[];
  /** highest priority first */
  rules: Rule[];
  flavor: Flavor;
  floatingTags: FloatingMode;
  tagPrefix: string;
  shaLength: number;
  labels: Array<[string, string]>;
  annotations: Array<[string, string]>;
  sepTags: string;
  sepLabels: string;
  sepAnnotations: string;
  bakeTarget: string;
  knobs: Knobs;
}

/** What the DOCKER_METADATA_* variables ask for. */
export interface Knobs {
  /** DOCKER_METADATA_PR_HEAD_SHA: undefined when not set (then the head commit is named) */
  prHeadSha: boolean | undefined;
  /** DOCKER_METADATA_SHORT_SHA_LENGTH, when set */
  shortShaLength: number | undefined;
  /** DOCKER_METADATA_SET_OUTPUT_ENV (default true) */
  setOutputEnv: boolean;
  /** DOCKER_METADATA_ANNOTATIONS_LEVELS (default manifest) */
  annotationLevels: string[];
}

export const SHA_LENGTH = { default: 7, min: 4, max: 40 } as const;

// the spellings metadata-action's boolean parser accepts
const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ConfigurationError(`Environment variable ${name}: '${value}' is not a boolean (expected true or false)`);
}

/** Reads and validates the DOCKER_METADATA_* variables. */
export function readKnobs(env: NodeJS.ProcessEnv): Knobs {
  let shortShaLength: number | undefined;
  const length = env.DOCKER_METADATA_SHORT_SHA_LENGTH?.trim();
  if (length) {
    const n = Number(length);
    if (!/^\d+$/.test(length) || n < SHA_LENGTH.min || n > SHA_LENGTH.max) {
      throw new ConfigurationError(
        `Environment variable DOCKER_METADATA_SHORT_SHA_LENGTH: '${length}' is not accepted (expected a whole number from ${SHA_LENGTH.min} to ${SHA_LENGTH.max})`,
      );
    }
    shortShaLength = n;
  }
  const levelsText = env.DOCKER_METADATA_ANNOTATIONS_LEVELS?.trim() || 'manifest';
  const annotationLevels: string[] = [];
  for (const raw of levelsText.split(',')) {
    const level = raw.trim();
    if (level === '') continue;
    if (!ANNOTATION_LEVEL_NAME.test(level)) {
      throw new ConfigurationError(
        `Environment variable DOCKER_METADATA_ANNOTATIONS_LEVELS: '${level}' is not an annotation level (expected manifest, index, manifest-descriptor or index-descriptor, optionally with a platform such as manifest[linux/amd64], comma-separated)`,
      );
    }
    if (!annotationLevels.includes(level)) annotationLevels.push(level);
  }
  return {
    prHeadSha: envBoolean(env, 'DOCKER_METADATA_PR_HEAD_SHA'),
    shortShaLength,
    setOutputEnv: envBoolean(env, 'DOCKER_METADATA_SET_OUTPUT_ENV') ?? true,
    annotationLevels: annotationLevels.length > 0 ? annotationLevels : ['manifest'],
  };
}

/**
 * `key=value` lines as metadata-action reads them: a line without `=` (or without a key) is
 * skipped with a warning naming it, so that a workflow that ran there runs here too.
 */
export function parseEntries(text: string, input: string, warn: (message: string) => void): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const line of parseList(text, { commas: false })) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (key === '') {
      warn(`Input '${input}': '${line}' is skipped: it is not a key=value line`);
      continue;
    }
    pairs.push([key, line.slice(eq + 1).trim()]);
  }
  return pairs;
}

/** A separator input: taken as written (a single space is a separator), `\n` when empty. */
function separator(name: string): string {
  const value = readInput(name);
  return value === '' ? '\n' : value;
}

export function getInputs(env: NodeJS.ProcessEnv = process.env): ComputeTagsInputs {
  getRequiredInput('images');
  const knobs = readKnobs(env);
  const tagPrefix = getInput('tag-prefix') ?? '';
  if (/\s/.test(tagPrefix)) {
    throw new ConfigurationError(
      `'${tagPrefix}' contains white space (expected a git tag prefix such as api/)`,
      'tag-prefix',
    );
  }
  const bakeTarget = getInput('bake-target') ?? 'docker-metadata-action';
  if (!/^[A-Za-z0-9._-]+$/.test(bakeTarget)) {
    throw new ConfigurationError(
      `'${bakeTarget}' is not a bake target name (expected letters, digits, '.', '_' and '-')`,
      'bake-target',
    );
  }
  // the input wins over metadata-action's variable, which wins over the default
  const shaLength = getIntegerInput('sha-length', { min: SHA_LENGTH.min, max: SHA_LENGTH.max });
  return {
    images: parseImages(getLineListInput('images'), warning),
    rules: parseRules(getLineListInput('tags')),
    flavor: parseFlavor(getLineListInput('flavor')),
    floatingTags: getEnumInput('floating-tags', FLOATING_MODES, 'highest'),
    tagPrefix,
    shaLength: shaLength ?? knobs.shortShaLength ?? SHA_LENGTH.default,
    labels: parseEntries(readInput('labels'), 'labels', warning),
    annotations: parseEntries(readInput('annotations'), 'annotations', warning),
    sepTags: separator('sep-tags'),
    sepLabels: separator('sep-labels'),
    sepAnnotations: separator('sep-annotations'),
    bakeTarget,
    knobs,
  };
}
