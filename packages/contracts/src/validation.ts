import type { z } from 'zod';
import { SmartScaleError } from './errors.js';

/** One problem found while validating input, with where it is and what was expected. */
export interface ValidationProblem {
  /** Dotted path of the offending field, e.g. `payload.nodes[0].ready`. */
  readonly path: string;
  readonly message: string;
}

/** Raised when a message or configuration does not match its schema. */
export class ValidationError extends SmartScaleError {
  readonly problems: readonly ValidationProblem[];
  constructor(subject: string, problems: readonly ValidationProblem[]) {
    super(
      'invalid-input',
      `${subject} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
    this.problems = problems;
  }
}

/** Either a parsed value or the problems that prevented parsing. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ValidationError };

/**
 * Renders a zod path as a person would write it.
 *
 * @example
 * formatPath(['payload', 'nodes', 0, 'ready']) // 'payload.nodes[0].ready'
 */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

/** Converts zod issues into {@link ValidationProblem}s. */
export function toProblems(error: z.ZodError): ValidationProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Parses `input` with `schema`, returning a {@link Parsed} instead of throwing. */
export function safeParseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  subject: string,
): Parsed<z.output<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: new ValidationError(subject, toProblems(result.error)) };
}

/** Parses a JSON text, or names `subject` and the syntax error. */
export function parseJsonText(body: string, subject: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch (err) {
    return {
      ok: false,
      error: new ValidationError(subject, [
        { path: formatPath([]), message: `expected JSON: ${(err as Error).message}` },
      ]),
    };
  }
}
