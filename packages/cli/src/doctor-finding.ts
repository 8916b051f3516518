// One line of the doctor's report, and its three constructors shared by every check module.

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
