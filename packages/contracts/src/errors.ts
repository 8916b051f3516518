// The base of SmartScale's own errors. A caller tells them apart by `code`
// (stable across releases and across bundles, where `instanceof` can fail
// when a module is loaded twice), and people read `message`.

/** Stable codes of SmartScale errors; a code is never reused for another meaning. */
export type SmartScaleErrorCode =
  /** Expected, transient: the message is to be delivered again later (lock busy, step in progress). */
  | 'redeliver-later'
  /** A message or argument does not match what was expected. */
  | 'invalid-input'
  /** A setting (environment variable, configuration file, deployment setting) is missing or wrong. */
  | 'invalid-config'
  /** A cloud or cluster call answered in a way the caller cannot go on from. */
  | 'cloud-call-failed'
  /** Something the caller named does not exist. */
  | 'not-found';

/** Base class: every SmartScale error has a stable `code`. */
export class SmartScaleError extends Error {
  readonly code: SmartScaleErrorCode;
  constructor(code: SmartScaleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The message cannot be handled now but will be later, with nothing wrong:
 * the cluster lock is held by another invocation, another delivery of the
 * same command is doing the step, the lease was taken over. The queue
 * handler logs it at info, counts it as deferred (not failed) and leaves the
 * message to SQS to deliver again after its visibility timeout.
 */
export class RedeliverLater extends SmartScaleError {
  constructor(message: string, options?: ErrorOptions) {
    super('redeliver-later', message, options);
  }
}

/** The cluster lock is held by another invocation; the message waits for it. */
export class LockBusyError extends RedeliverLater {
  constructor(
    readonly clusterId: string | undefined,
    what: string,
  ) {
    super(`cluster lock${clusterId ? ` of ${clusterId}` : ''} busy; ${what} will be redelivered`);
  }
}

/**
 * A setting is missing or wrong: the process cannot start or go on until
 * someone changes it, so retrying the message will not help. `setting` names
 * it (SMARTSCALE_SUBNETS, instance.types[2], ...).
 */
export class InvalidConfigError extends SmartScaleError {
  constructor(
    readonly setting: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('invalid-config', message, options);
  }
}

/** A message or argument does not match what was expected (not a setting). */
export class InvalidInputError extends SmartScaleError {
  constructor(message: string, options?: ErrorOptions) {
    super('invalid-input', message, options);
  }
}

/** A cloud or cluster call answered without what the caller needs to go on (an ARN, a URL). */
export class CloudCallError extends SmartScaleError {
  constructor(message: string, options?: ErrorOptions) {
    super('cloud-call-failed', message, options);
  }
}

/** Something named by the caller does not exist. */
export class NotFoundError extends SmartScaleError {
  constructor(message: string, options?: ErrorOptions) {
    super('not-found', message, options);
  }
}

/**
 * Whether `error` asks for a later redelivery. Reads the code rather than
 * the class so an error from another copy of this module still counts.
 */
export function isRedeliverLater(error: unknown): error is RedeliverLater {
  return (
    error instanceof RedeliverLater ||
    (error instanceof Error && (error as { code?: unknown }).code === 'redeliver-later')
  );
}

/** A write refused because a newer lock holder exists (the caller's lease is stale): the ledger's fence. */
export class StaleLeaseError extends RedeliverLater {
  constructor(clusterId: string, fence: number) {
    super(
      `state of cluster ${clusterId} not written: the lock was taken over since fence ${fence}; re-read the state under a new lease`,
    );
    this.name = 'StaleLeaseError';
  }
}

/** A write refused because the stored version is not the one the caller read. */
export class VersionConflictError extends RedeliverLater {
  constructor(clusterId: string, version: number) {
    super(
      `state of cluster ${clusterId} not written: it is no longer at version ${version}; re-read and retry`,
    );
    this.name = 'VersionConflictError';
  }
}
