import { type Command, ExitCode, type Io, processIo, UsageError } from './command.js';
import { costCommand } from './commands/cost.js';
import { dlqCommand } from './commands/dlq.js';
import { doctorCommand } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { historyCommand } from './commands/history.js';
import { pauseCommand, resumeCommand } from './commands/pause.js';
import { simCommand } from './commands/sim.js';
import { statusCommand } from './commands/status.js';

/** Every subcommand, one module each under `commands/`. Add new ones here. */
export const commands: readonly Command[] = [
  statusCommand,
  explainCommand,
  historyCommand,
  dlqCommand,
  pauseCommand,
  resumeCommand,
  costCommand,
  simCommand,
  doctorCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: smartscale <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'smartscale <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * The `smartscale` operator command: dispatches to a subcommand and returns
 * the exit code (0 ok, 1 failure, 2 bad arguments).
 *
 * @example
 * process.exitCode = await main(['sim', '--trace', 'day.csv', '--policy', 'seed']);
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(
      `smartscale: unknown command '${name}'; expected one of: ${commands.map((c) => c.name).join(', ')}`,
    );
    return ExitCode.Usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`smartscale ${command.name}: ${err.message}\n\n${command.usage}`);
      return ExitCode.Usage;
    }
    io.err(`smartscale ${command.name}: ${err instanceof Error ? err.message : String(err)}`);
    return ExitCode.Failure;
  }
}
