import { describe, expect, it } from 'vitest';
import { type Knobs, parseEntries, readKnobs } from '../../../actions/compute-tags/src/inputs.js';

describe('readKnobs: the DOCKER_METADATA_* variables', () => {
  const defaults: Knobs = {
    prHeadSha: undefined,
    shortShaLength: undefined,
    setOutputEnv: true,
    annotationLevels: ['manifest'],
  };
  it.each<[string, Record<string, string>, Partial<Knobs>]>([
    ['nothing set', {}, {}],
    ['empty values', { DOCKER_METADATA_PR_HEAD_SHA: '', DOCKER_METADATA_ANNOTATIONS_LEVELS: ' ' }, {}],
    ['head sha true', { DOCKER_METADATA_PR_HEAD_SHA: 'true' }, { prHeadSha: true }],
    ['head sha False', { DOCKER_METADATA_PR_HEAD_SHA: 'False' }, { prHeadSha: false }],
    ['head sha 0', { DOCKER_METADATA_PR_HEAD_SHA: '0' }, { prHeadSha: false }],
    ['short sha 12', { DOCKER_METADATA_SHORT_SHA_LENGTH: '12' }, { shortShaLength: 12 }],
    ['short sha 40', { DOCKER_METADATA_SHORT_SHA_LENGTH: '40' }, { shortShaLength: 40 }],
    ['output env off', { DOCKER_METADATA_SET_OUTPUT_ENV: 'false' }, { setOutputEnv: false }],
    ['output env 1', { DOCKER_METADATA_SET_OUTPUT_ENV: '1' }, { setOutputEnv: true }],
    [
      'levels with blanks and a repeat',
      { DOCKER_METADATA_ANNOTATIONS_LEVELS: ' index , manifest,index,' },
      { annotationLevels: ['index', 'manifest'] },
    ],
    [
      'levels with a platform',
      { DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest[linux/amd64],index-descriptor' },
      { annotationLevels: ['manifest[linux/amd64]', 'index-descriptor'] },
    ],
  ])('%s', (_name, env, expected) => {
    expect(readKnobs(env)).toEqual({ ...defaults, ...expected });
  });

  it.each<[Record<string, string>, string]>([
    [
      { DOCKER_METADATA_SHORT_SHA_LENGTH: '3' },
      "Environment variable DOCKER_METADATA_SHORT_SHA_LENGTH: '3' is not accepted (expected a whole number from 4 to 40)",
    ],
    [
      { DOCKER_METADATA_SHORT_SHA_LENGTH: '7.5' },
      "Environment variable DOCKER_METADATA_SHORT_SHA_LENGTH: '7.5' is not accepted (expected a whole number from 4 to 40)",
    ],
    [
      { DOCKER_METADATA_PR_HEAD_SHA: 'yes' },
      "Environment variable DOCKER_METADATA_PR_HEAD_SHA: 'yes' is not a boolean (expected true or false)",
    ],
    [
      { DOCKER_METADATA_ANNOTATIONS_LEVELS: 'manifest,image' },
      "Environment variable DOCKER_METADATA_ANNOTATIONS_LEVELS: 'image' is not an annotation level (expected manifest, index, manifest-descriptor or index-descriptor, optionally with a platform such as manifest[linux/amd64], comma-separated)",
    ],
  ])('refuses %j', (env, message) => {
    expect(() => readKnobs(env)).toThrow(message);
  });
});

describe('parseEntries: labels and annotations lines', () => {
  it.each<[string, Array<[string, string]>, string[]]>([
    [
      'a=b\nc = d e \n# comment\n\n',
      [
        ['a', 'b'],
        ['c', 'd e'],
      ],
      [],
    ],
    ['url=https://x/?a=b', [['url', 'https://x/?a=b']], []],
    ['empty=', [['empty', '']], []],
    [
      'invalid\n=value\nok=1',
      [['ok', '1']],
      [
        "Input 'labels': 'invalid' is skipped: it is not a key=value line",
        "Input 'labels': '=value' is skipped: it is not a key=value line",
      ],
    ],
  ])('%j', (text, pairs, warnings) => {
    const warned: string[] = [];
    expect(parseEntries(text, 'labels', (m) => warned.push(m))).toEqual(pairs);
    expect(warned).toEqual(warnings);
  });
});
