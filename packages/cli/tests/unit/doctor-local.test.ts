import { describe, expect, it } from 'vitest';
import { type DoctorFinding, forLocalEnvironment } from '../../src/doctor.js';

// `npm run local:up` runs no services, no Prometheus and no worker network,
// and issues one-day tokens: doctor says so per check instead of failing,
// and still reports anything else (issue #22).
describe('doctor on the local environment', () => {
  const notChecked = (check: string): DoctorFinding => ({
    check,
    status: 'warning',
    detail: 'not checked',
    fix: 'pass it',
  });

  it('says why each part local:up does not run is skipped', () => {
    const out = forLocalEnvironment([
      notChecked('launch template'),
      notChecked('worker subnets'),
      notChecked('prometheus'),
      {
        check: 'reconciler',
        status: 'problem',
        detail: 'has never run for cluster smartscale-local',
        fix: 'read its log group',
      },
    ]);
    expect(out.map((f) => f.status)).toEqual(['warning', 'warning', 'warning', 'warning']);
    for (const f of out) expect(f.detail).toMatch(/^local: skipped because local:up /);
    expect(out[3]?.detail).toContain('has never run for cluster smartscale-local');
  });

  it("accepts a local one-day token's expiry, not an expired one", () => {
    const [soon, expired] = forLocalEnvironment([
      {
        check: 'kube token smartscale expiry',
        status: 'warning',
        detail: 'expires 2026-12-03T02:44:21.000Z (in 0 days)',
        fix: 'renew',
      },
      {
        check: 'kube token smartscale-reader expiry',
        status: 'problem',
        detail: 'expired 2026-12-01T02:44:21.000Z',
        fix: 'renew',
      },
    ]);
    expect(soon?.status).toBe('ok');
    expect(soon?.detail).toContain('local: expected');
    expect(expired?.status).toBe('problem');
  });

  it('keeps every other finding as it was', () => {
    const others: DoctorFinding[] = [
      {
        check: 'reconciler',
        status: 'problem',
        detail: 'last pass 2026-12-01, 900 s ago',
        fix: 'x',
      },
      {
        check: 'parameter /smartscale-local/k3s/ca',
        status: 'problem',
        detail: 'missing',
        fix: 'y',
      },
      {
        check: 'prometheus http://127.0.0.1:9090',
        status: 'warning',
        detail: '1 of 2 down',
        fix: 'z',
      },
    ];
    expect(forLocalEnvironment(others)).toEqual(others);
  });
});
