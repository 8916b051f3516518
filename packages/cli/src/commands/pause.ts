import { userInfo } from 'node:os';
import { parseCommandArgs } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import { type PauseChange, type PauseResult, setPause } from '../pause-switch.js';

const pauseUsage = `usage: smartscale pause --reason TEXT [--by WHO] [options]

Stops scaling: the decider keeps sampling and auditing but holds every
decision with reason 'paused' until 'smartscale resume'. Actions already
under way finish. Recorded in the audit log with who and why.

options:
  --reason TEXT         why (required), e.g. "incident 42: bad AMI"
  --by WHO              who (default: your user name)
${deploymentUsage}`;

const resumeUsage = `usage: smartscale resume [--by WHO] [--reason TEXT] [options]

Lets the decider act again after 'smartscale pause'. Recorded in the audit log.

options:
  --by WHO              who (default: your user name)
  --reason TEXT         why, optional
${deploymentUsage}`;

function operator(by: string | undefined): string {
  if (by !== undefined) {
    if (by.trim() === '') throw new UsageError('--by: expected a name, got an empty string');
    return by.trim();
  }
  return process.env.USER ?? userInfo().username;
}

function describe(result: PauseResult, pause: boolean): string {
  if (!result.changed) {
    return pause && result.paused
      ? `already paused by ${result.paused.by} at ${result.paused.at}: ${result.paused.reason} (left as it was)`
      : 'not paused: scaling is already active (nothing changed)';
  }
  return result.paused
    ? `paused by ${result.paused.by} at ${result.paused.at}: ${result.paused.reason}\nthe decider holds with reason 'paused' until 'smartscale resume' (audit action ${result.auditActionId})`
    : `resumed: the decider acts on the next sample (audit action ${result.auditActionId})`;
}

function switchCommand(pause: boolean): Command {
  const usage = pause ? pauseUsage : resumeUsage;
  return {
    name: pause ? 'pause' : 'resume',
    summary: pause
      ? 'stop scaling actions (the decider holds), with who and why'
      : 'let the decider act again after a pause',
    usage,
    async run(args: readonly string[], io: Io): Promise<number> {
      const { values } = parseCommandArgs(args, {
        ...deploymentArgs,
        reason: { type: 'string' },
        by: { type: 'string' },
      });
      if (values.help) {
        io.out(usage);
        return ExitCode.Ok;
      }
      const by = operator(values.by);
      const reason = values.reason?.trim();
      if (pause && !reason)
        throw new UsageError(
          '--reason: expected why scaling is paused, e.g. --reason "incident 42"',
        );
      const change: PauseChange = pause
        ? { pause: true, by, reason: reason as string }
        : { pause: false, by, ...(reason ? { reason } : {}) };
      const result = await withDeployment(values, (d) => setPause(d, change, new Date()));
      io.out(values.json ? JSON.stringify(result, null, 2) : describe(result, pause));
      return ExitCode.Ok;
    },
  };
}

/** `smartscale pause --reason TEXT`: the switch the decider honours. */
export const pauseCommand: Command = switchCommand(true);
/** `smartscale resume`: undo `pause`. */
export const resumeCommand: Command = switchCommand(false);
