// Error types shared by every action. The action runner turns a ConfigurationError into one
// `::error::` line with no stack; anything else is reported as "while <doing>: <cause>".

/** A problem the user can fix by changing an input. The message names the input and says what is accepted. */
export class ConfigurationError extends Error {
  /** The input (kebab-case, as in action.yml) the problem is about, when there is one. */
  readonly input: string | undefined;
  constructor(message: string, input?: string) {
    super(input ? `Input '${input}': ${message}` : message);
    this.name = 'ConfigurationError';
    this.input = input;
  }
}

/** A failed operation against an external system (registry, tool, API): what was done, to what, and what came back. */
export class OperationError extends Error {
  readonly operation: string;
  constructor(operation: string, detail: string, options?: { cause?: unknown }) {
    super(`${operation}: ${detail}`, options);
    this.name = 'OperationError';
    this.operation = operation;
  }
}

/** Describes any thrown value in one line, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const msg = err.message.split('\n').find((l) => l.trim() !== '') ?? err.name;
    return msg.trim();
  }
  return String(err);
}
