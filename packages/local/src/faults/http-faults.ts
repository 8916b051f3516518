// Faults of the API server and Prometheus as their clients meet them: the
// API server answering 500 or 429 (with Retry-After, as its priority and
// fairness does) or not at all, and Prometheus down (connections reset).
import type { FaultRule } from './fault-proxy.ts';

export const KUBE_FAULTS = ['500', '429', 'timeout'] as const;
export type KubeFault = (typeof KUBE_FAULTS)[number];

/** A Kubernetes `Status` failure body, as the API server sends with an error code. */
export function kubeStatus(code: 500 | 429): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      code === 429
        ? 'The API server is shedding load (soak fault); retry after 1 s'
        : 'Internal error (soak fault)',
    reason: code === 429 ? 'TooManyRequests' : 'InternalError',
    details: { retryAfterSeconds: 1 },
    code,
  });
}

/**
 * Every API request fails as `fault` says: 500, 429, or no answer for
 * `hangMs` then a dropped connection (the client's timeout).
 *
 * @example
 * proxy.add(kubeApiRule('429', 10_000));
 */
export function kubeApiRule(fault: KubeFault, hangMs: number): FaultRule {
  if (!KUBE_FAULTS.includes(fault))
    throw new RangeError(`kube fault must be one of ${KUBE_FAULTS.join(', ')}, got '${fault}'`);
  return {
    name: `kube-api-${fault}`,
    decide() {
      if (fault === 'timeout') return { kind: 'hang', ms: hangMs };
      const code = fault === '429' ? 429 : 500;
      return {
        kind: 'respond',
        status: code,
        headers: {
          'content-type': 'application/json',
          ...(code === 429 ? { 'retry-after': '1' } : {}),
        },
        body: kubeStatus(code),
      };
    },
  };
}

/** The server is down: every connection is reset. */
export function downRule(name: string): FaultRule {
  return { name, decide: () => ({ kind: 'reset' }) };
}
