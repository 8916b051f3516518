// The Prometheus side's own errors, on the shared SmartScaleError base
// (@smartscale/contracts errors.ts has the codes).
import { InvalidConfigError } from '@smartscale/contracts';

/** A Prometheus setting (base URL, node label, rate window or step) is not usable; `setting` names it. */
export class PrometheusSettingError extends InvalidConfigError {}
