// User-facing errors: printed as one line (plus an optional caret excerpt), never a stack trace.

/** Exit codes: 0 ok, 1 an expectation/check failed, 2 bad usage or bad input, 3 a resource limit. */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;
export const EXIT_LIMIT = 3;

/**
 * @public A command-line error: one line, an exit status, and the stable code of the library
 * error it reports when there is one (PKS101 a policy, AUD0xx the audit's input).
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_USAGE,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
