// How old a command may be when its consumer reads it (issue #21 item 5).
// DLQs keep messages 14 days and dedup records live 7: a ScaleUp or DrainNode
// replayed from a DLQ after its dedup record expired would launch or drain
// again, on a world that has long moved on. Every re-send of a command (a
// drain waiting for a budget, a join re-check) is a new envelope with its own
// occurredAt, so only a message left lying in a queue grows old.

/** What the consumer checks a message's age with. */
export interface MessageAgeLimit {
  /** Older than this (occurredAt to now) is refused. */
  readonly maxAgeSeconds: number;
  readonly now?: () => Date;
}

/**
 * Why a message is too old to act on, or null when it is young enough. A
 * time in the future beyond the limit is refused as well: a forged or
 * mis-stamped message must not outlive the bound by claiming to be new.
 *
 * @example
 * messageAgeProblem('2026-01-01T00:00:00Z', new Date('2026-01-02T00:00:00Z'), 3600);
 * // 'too old to act on: occurred at 2026-01-01T00:00:00Z, 86400 s ago, more than commands.maxAgeSeconds (3600)'
 */
export function messageAgeProblem(
  occurredAt: string,
  now: Date,
  maxAgeSeconds: number,
): string | null {
  const at = Date.parse(occurredAt);
  if (Number.isNaN(at))
    return `occurredAt '${occurredAt}' is not a time: expected an ISO 8601 timestamp`;
  const ageSeconds = Math.round((now.getTime() - at) / 1000);
  if (ageSeconds > maxAgeSeconds)
    return `too old to act on: occurred at ${occurredAt}, ${ageSeconds} s ago, more than commands.maxAgeSeconds (${maxAgeSeconds})`;
  if (-ageSeconds > maxAgeSeconds)
    return `dated in the future: occurred at ${occurredAt}, ${-ageSeconds} s from now, more than commands.maxAgeSeconds (${maxAgeSeconds})`;
  return null;
}
