// The CLI writes through this so that tests can run commands in-process and capture output.

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
  /** True when stderr is a terminal: progress output is shown only then. */
  isTTY: boolean;
}

// A closed pipe (pksim ... | head) ends the output quietly, as for any Unix tool.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

export const processIO: CliIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

export function captureIO(): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(s: string) {
      io.stdout += s;
    },
    err(s: string) {
      io.stderr += s;
    },
  };
  return io;
}
