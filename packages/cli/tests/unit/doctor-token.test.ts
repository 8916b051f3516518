import { describe, expect, it } from 'vitest';
import { checkTokenValue, TOKEN_WARNING_HOURS } from '../../src/doctor.js';

/** A JWT-shaped token expiring at `exp` (unsigned: the doctor reads, it does not verify). */
const jwt = (exp: Date) =>
  `e30.${Buffer.from(JSON.stringify({ exp: exp.getTime() / 1000 })).toString('base64url')}.sig`;
const now = new Date('2026-12-02T06:00:00Z');
const inHours = (h: number) => new Date(now.getTime() + h * 3_600_000);

describe("the doctor's token expiry line", () => {
  it('is ok while the rotation keeps tokens fresh, a warning under 12 h, a problem once expired', () => {
    expect(TOKEN_WARNING_HOURS).toBe(12);
    const [fresh] = checkTokenValue(jwt(inHours(18)), 'smartscale-reader', now);
    expect(fresh).toEqual({
      check: 'kube token smartscale-reader expiry',
      status: 'ok',
      detail: 'expires 2026-12-03T00:00:00.000Z (in 18 h)',
    });
    const [late] = checkTokenValue(jwt(inHours(11.5)), 'smartscale-reader', now);
    expect(late?.status).toBe('warning');
    expect(late?.detail).toBe(
      'expires 2026-12-02T17:30:00.000Z (in 11 h, under 12 h): the rotation has not stored a newer one',
    );
    expect(late?.fix).toContain('systemctl status smartscale-kube-tokens.timer');
    const [expired] = checkTokenValue(jwt(inHours(-1)), 'smartscale', now);
    expect(expired?.status).toBe('problem');
    expect(expired?.detail).toContain('every function of smartscale-system/smartscale gets 401');
  });

  it('takes another threshold, and counts long-lived tokens in days', () => {
    expect(checkTokenValue(jwt(inHours(20)), 'smartscale', now, 24)[0]?.status).toBe('warning');
    expect(checkTokenValue(jwt(inHours(90 * 24)), 'smartscale', now)[0]?.detail).toBe(
      'expires 2027-03-02T06:00:00.000Z (in 90 days)',
    );
  });

  it('warns of a trailing newline and says nothing of the expiry of a token that is no JWT', () => {
    const found = checkTokenValue('opaque-token\n', 'smartscale', now);
    expect(found.map((f) => [f.check, f.status])).toEqual([['kube token smartscale', 'warning']]);
  });
});
