// The Kubernetes side's own errors, on the shared SmartScaleError base
// (@smartscale/contracts errors.ts has the codes).
import { InvalidConfigError, InvalidInputError } from '@smartscale/contracts';

/** The Kubernetes credentials are missing, conflicting or unusable; `setting` names the source. */
export class KubeAccessError extends InvalidConfigError {}

/** A Kubernetes quantity (500m, 512Mi) that cannot be read. */
export class InvalidQuantityError extends InvalidInputError {
  constructor(
    readonly quantity: string,
    message: string,
  ) {
    super(message);
  }
}
