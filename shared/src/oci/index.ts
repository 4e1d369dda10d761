// The OCI registry client and what stands on it, in one import.
export * from './auth.js';
export * from './client.js';
export * from './credentials.js';
export * from './digest.js';
export * from './media-types.js';
export * from './reference.js';
export {
  backoffDelay,
  DEFAULT_RETRY,
  isRetryableNetworkError,
  isRetryableStatus,
  parseLinkNext,
  parseRetryAfter,
  proxyFor,
} from './transport.js';
