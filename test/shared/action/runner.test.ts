import { describe, expect, it } from 'vitest';
import { errorLine } from '#shared/action/runner.js';
import { ConfigurationError, OperationError } from '#shared/errors.js';

describe('errorLine', () => {
  it('keeps a configuration error as it is', () => {
    expect(errorLine(new ConfigurationError("'x' is not accepted (expected a or b)", 'mode'), 'main')).toBe(
      "Input 'mode': 'x' is not accepted (expected a or b)",
    );
  });

  it('says what was being done for an operation error, with its cause', () => {
    const err = new OperationError('pushing 127.0.0.1:5000/app:1.0', 'HTTP 503', {
      cause: new Error('socket hang up'),
    });
    expect(errorLine(err, 'main')).toBe('pushing 127.0.0.1:5000/app:1.0: HTTP 503 (socket hang up)');
  });

  it('folds a multi-line message into one line', () => {
    expect(errorLine(new Error('first\n  second\n\nthird'), 'main')).toBe(
      'The action failed unexpectedly: first second third',
    );
    expect(errorLine('plain', 'post')).toBe('Cleaning up in the post step failed: plain');
  });
});
