// One line of the doctor's report, its three constructors and the redeploy
// fix, shared by every check module.

/** One line of the doctor's report. */
export interface DoctorFinding {
  /** What was checked, e.g. `queue smartscale-prod-decider`. */
  readonly check: string;
  readonly status: 'ok' | 'problem' | 'warning';
  /** What was found. */
  readonly detail: string;
  /** What to do about a problem or warning. */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): DoctorFinding => ({
  check,
  status: 'ok',
  detail,
});
export const problem = (check: string, detail: string, fix: string): DoctorFinding => ({
  check,
  status: 'problem',
  detail,
  fix,
});
export const warning = (check: string, detail: string, fix: string): DoctorFinding => ({
  check,
  status: 'warning',
  detail,
  fix,
});

/** The stage as `sst deploy --stage` took it: the prefix is `smartscale-<stage>`. */
export function stageOf(prefix: string): string {
  return prefix.startsWith('smartscale-') ? prefix.slice('smartscale-'.length) : prefix;
}

/** The fix for anything the plan declares that is missing or changed. */
export const redeploy = (prefix: string) =>
  `run 'npx sst deploy --stage ${stageOf(prefix)}' again (it recreates what the plan declares)`;
