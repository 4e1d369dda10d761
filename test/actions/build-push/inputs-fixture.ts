// The inputs of build-push with every default, for unit tests that vary one or two of them.
import type { Inputs } from '../../../actions/build-push/src/inputs.js';

export const baseInputs: Inputs = {
  context: '.',
  buildArgs: [],
  labels: [],
  annotations: [],
  tags: ['127.0.0.1:5000/app:1.0'],
  platforms: [],
  push: true,
  load: false,
  secrets: [],
  secretFiles: [],
  builder: 'auto',
  cacheFrom: [],
  cacheTo: [],
  provenance: 'false',
  pushByDigest: false,
  merge: [],
  retries: 3,
};
