// The CLI writes through this so that tests can run commands in-process and capture output.

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  /** True when stderr is a terminal: progress output is shown only then. */
  isTTY: boolean;
  /** True when standard output is a terminal: colour is shown only then (--color=auto). */
  outTTY?: boolean;
  /** The environment: NO_COLOR, FORCE_COLOR, TERM. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * For the CLI entry only (bin/pksim.js; importing a module installs nothing): a closed pipe
 * (pksim ... | head) ends the output quietly, as for any Unix tool; any other write error on
 * standard output (a full disk: pksim list > /dev/full) is one line and exit 2, no stack; a
 * closed standard error is ignored.
 */
export function installStdoutHandler(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`pksim: cannot write standard output: ${e.code ?? e.message}\n`);
    process.exit(2);
  });
  // Standard error closed or unwritable (pksim ... 2>&1 | head): its messages are lost, the
  // command goes on and its exit status stays what it says (a limit 3, not 1 from an uncaught error).
  process.stderr.on('error', () => undefined);
}

export const processIO: CliIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
  outTTY: Boolean(process.stdout.isTTY),
  env: process.env,
};

export function captureIO(over: Pick<CliIO, 'outTTY' | 'env'> = {}): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    outTTY: over.outTTY ?? false,
    env: over.env ?? {},
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}
