// Errors the audit reports for bad input (a missing path, an unreadable directory, a bad
// callee file). Callers of the public runAudit() get these, never the CLI's UsageError;
// the CLI maps them to exit status 2 with a one-line message.

/** Stable codes, so that scripts and tests need not match message text. */
export type AuditErrorCode =
  | 'AUD001' // a PATH does not exist or cannot be accessed
  | 'AUD002' // a PATH is neither a regular file nor a directory
  | 'AUD003' // a directory or file under a PATH cannot be read
  | 'AUD004' // a --callees data file is malformed
  | 'AUD005'; // a --patch diff is malformed

export class AuditError extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
