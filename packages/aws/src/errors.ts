// The AWS side's own errors, on the shared SmartScaleError base (see
// @smartscale/contracts errors.ts for the codes). Retry signals
// (StepInProgressError, LaunchInProgressError, StaleLeaseError,
// VersionConflictError) stay beside the stores that raise them and extend
// RedeliverLater.
import { CloudCallError, NotFoundError } from '@smartscale/contracts';

/** An SSM parameter the deployment needs does not exist. */
export class ParameterNotFoundError extends NotFoundError {
  constructor(readonly parameterName: string) {
    super(
      `SSM parameter ${parameterName} does not exist; create it as a SecureString (aws ssm put-parameter --type SecureString --name ${parameterName} ...)`,
    );
  }
}

/** An AWS call succeeded but its answer lacks what the caller needs (an id, an ARN, a URL). */
export class IncompleteAnswerError extends CloudCallError {
  constructor(
    readonly call: string,
    missing: string,
    subject: string,
  ) {
    super(`${call} returned no ${missing} for ${subject}`);
  }
}
