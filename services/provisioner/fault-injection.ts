// Crash injection for the end-to-end tests: proves that a provisioner killed
// between launching and publishing loses nothing and launches nothing twice.
// Read once at start; honoured only in a process the local runtime started
// (SMARTSCALE_LOCAL_PROCESS), never in Lambda, so a stray variable in a
// deployment cannot take the service down.
import { InvalidConfigError } from '@smartscale/contracts';

/** Points in the provisioner where a crash can be injected. */
export const FAULTS = ['crash-after-launch'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * The fault this process should inject, from its environment.
 *
 * @example
 * faultFromEnv({ SMARTSCALE_FAULT: 'crash-after-launch', SMARTSCALE_LOCAL_PROCESS: '1' }); // 'crash-after-launch'
 */
export function faultFromEnv(env: NodeJS.ProcessEnv): Fault | undefined {
  const wanted = env.SMARTSCALE_FAULT;
  if (!wanted || env.SMARTSCALE_LOCAL_PROCESS !== '1' || env.AWS_LAMBDA_FUNCTION_NAME)
    return undefined;
  if (!(FAULTS as readonly string[]).includes(wanted))
    throw new InvalidConfigError(
      'SMARTSCALE_FAULT',
      `SMARTSCALE_FAULT is '${wanted}': expected one of ${FAULTS.join(', ')}`,
    );
  return wanted as Fault;
}

/** Ends the process at once, as SIGKILL or an out-of-memory kill would, when `point` is the injected fault. */
export function crashAt(
  point: Fault,
  injected: Fault | undefined,
  log: (line: string) => void,
): void {
  if (point !== injected) return;
  log(`fault injected: ${point}; exiting without cleanup`);
  process.exit(137);
}
