// User-facing errors: printed as one line (plus an optional caret excerpt), never a stack trace.

/** Exit codes: 0 ok, 1 an expectation/check failed, 2 bad usage or bad input, 3 a resource limit. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
export const EXIT_LIMIT = 3;

export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
