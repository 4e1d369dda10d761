// Every input of compute-tags, read once and validated into one typed object.
import {
  getEnumInput,
  getInput,
  getIntegerInput,
  getKeyValueInput,
  getLineListInput,
  getRequiredInput,
} from '#shared/action/inputs.js';
import { warning } from '#shared/action/log.js';
import { ConfigurationError } from '#shared/errors.js';
import { FLOATING_MODES, type FloatingMode } from './floating.js';
import { type ImageName, parseImages } from './images.js';
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
}

export function getInputs(): ComputeTagsInputs {
  getRequiredInput('images');
  const tagPrefix = getInput('tag-prefix') ?? '';
  if (/\s/.test(tagPrefix)) {
    throw new ConfigurationError(
      `'${tagPrefix}' contains white space (expected a git tag prefix such as api/)`,
      'tag-prefix',
    );
  }
  return {
    images: parseImages(getLineListInput('images'), warning),
    rules: parseRules(getLineListInput('tags')),
    flavor: parseFlavor(getLineListInput('flavor')),
    floatingTags: getEnumInput('floating-tags', FLOATING_MODES, 'highest'),
    tagPrefix,
    shaLength: getIntegerInput('sha-length', { default: 7, min: 4, max: 40 }),
    labels: getKeyValueInput('labels'),
    annotations: getKeyValueInput('annotations'),
  };
}
