import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './command.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a subcommand's arguments strictly; an unknown option or a missing
 * value becomes a UsageError (exit 2) naming the option.
 *
 * @example
 * const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' } }, 1);
 */
export function parseCommandArgs<const O extends OptionsConfig>(
  args: readonly string[],
  options: O,
  maxPositionals = 0,
) {
  let parsed: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (err) {
    // node:util's message names the option and what it expected.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const extra = parsed.positionals.slice(maxPositionals);
  if (extra.length > 0) {
    throw new UsageError(
      `unexpected argument '${extra[0]}': expected ${maxPositionals === 0 ? 'no positional arguments' : `at most ${maxPositionals}`}`,
    );
  }
  return parsed;
}

/**
 * A numeric option, or undefined when absent; a value failing `check` is a
 * UsageError naming the option and what was expected.
 */
export function numberArg(
  name: string,
  raw: string | undefined,
  check: (n: number) => boolean,
  expected: string,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || !check(value))
    throw new UsageError(`--${name}: expected ${expected}, got '${raw}'`);
  return value;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/**
 * A point in time given as a duration back from `now` (`90s`, `30m`, `6h`,
 * `2d`) or as an ISO time.
 *
 * @example
 * timeArg('since', '2h', now) // two hours before now
 */
export function timeArg(name: string, raw: string, now: Date): Date {
  const match = /^(\d+(?:\.\d+)?)([smhd])$/.exec(raw.trim());
  if (match) {
    const unit = match[2] as keyof typeof UNIT_SECONDS;
    return new Date(now.getTime() - Number(match[1]) * UNIT_SECONDS[unit] * 1000);
  }
  // Only full ISO dates: Date.parse accepts too much ('1', 'May').
  const iso = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw.trim());
  const time = Date.parse(raw);
  if (!iso || Number.isNaN(time))
    throw new UsageError(
      `--${name}: expected a duration back from now (e.g. 30m, 6h, 2d) or an ISO time (e.g. 2026-01-31T08:00:00Z), got '${raw}'`,
    );
  return new Date(time);
}

/**
 * The JSON content of the file an option names; an unreadable file or bad
 * JSON is a UsageError naming the option, the path and the problem.
 *
 * @example
 * const config = readJsonArg('config', values.config);
 */
export function readJsonArg(name: string, path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(`--${name}: expected a readable JSON file, ${path} gave ${code}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--${name}: expected JSON in ${path} (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}
