/** Where a command writes; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** One subcommand of `smartscale`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Returns the process exit code. */
  run(args: readonly string[], io: Io): Promise<number>;
}

/** Bad arguments: which one and what was expected. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;

/** The process's stdout and stderr. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
