// The registry client's view of the shared HTTP transport (../http/transport.ts), plus the
// error a failed registry call becomes.
import { OperationError } from '../errors.js';

export * from '../http/transport.js';

/** A registry call that failed: what was done, to which reference, the HTTP status and the registry's error code. */
export class RegistryError extends OperationError {
  readonly status?: number;
  /** the first OCI error code of the response body (MANIFEST_UNKNOWN, DENIED, ...) */
  readonly code?: string;
  constructor(operation: string, detail: string, options: { status?: number; code?: string; cause?: unknown } = {}) {
    super(operation, detail, { cause: options.cause });
    this.name = 'RegistryError';
    this.status = options.status;
    this.code = options.code;
  }
}
