// Faults on the wire between the services and the servers they call,
// switched on in the soak's proxies for a while: EC2 without capacity in a
// zone or for a capacity type, launches throttled, a slow EC2 API, the API
// server failing (500, 429, timeouts), Prometheus down.
import { type CapacityScope, capacityRule, slowRule, throttleRule } from '../faults/ec2-faults.ts';
import type { FaultRule } from '../faults/fault-proxy.ts';
import { downRule, KUBE_FAULTS, kubeApiRule } from '../faults/http-faults.ts';
import type { Fronts } from './fronts.ts';
import type { ScheduledFault } from './schedule.ts';

export type WireFaultKind =
  | 'ec2-capacity'
  | 'ec2-throttle'
  | 'ec2-slow'
  | 'kube-api-errors'
  | 'prometheus-down';

export function isWireFault(kind: ScheduledFault['kind']): kind is WireFaultKind {
  return (
    kind === 'ec2-capacity' ||
    kind === 'ec2-throttle' ||
    kind === 'ec2-slow' ||
    kind === 'kube-api-errors' ||
    kind === 'prometheus-down'
  );
}

/** The capacity fault's scope for `pick`: one of the zones, or one capacity type. */
export function capacityScopeOf(pick: number, zones: readonly string[]): CapacityScope {
  const scopes: CapacityScope[] = [
    ...zones.map((zone) => ({ zone })),
    { capacityType: 'spot' as const },
    { capacityType: 'on-demand' as const },
  ];
  return scopes[Math.floor(pick * scopes.length)] ?? { capacityType: 'spot' };
}

/**
 * The rule a wire fault switches on, the proxy it goes in and a line for
 * the report. `slowMs` of a slow EC2 grows with `pick`: 1 to 3 s a call.
 */
export function wireRule(
  fault: ScheduledFault & { kind: WireFaultKind },
  fronts: Fronts,
  zoneOfSubnet: ReadonlyMap<string, string>,
): { rule: FaultRule; proxy: Fronts[keyof Fronts]; target: string; detail: string } {
  const ms = fault.durationMs ?? 5000;
  switch (fault.kind) {
    case 'ec2-capacity': {
      const scope = capacityScopeOf(fault.pick, [...new Set(zoneOfSubnet.values())].sort());
      const where = 'zone' in scope ? scope.zone : scope.capacityType;
      return {
        rule: capacityRule(scope, zoneOfSubnet),
        proxy: fronts.aws,
        target: `ec2:${where}`,
        detail: `InsufficientInstanceCapacity for launches in ${where} for ${ms} ms`,
      };
    }
    case 'ec2-throttle':
      return {
        rule: throttleRule(),
        proxy: fronts.aws,
        target: 'ec2:launches',
        detail: `RunInstances/CreateFleet answer RequestLimitExceeded for ${ms} ms`,
      };
    case 'ec2-slow': {
      const delay = 1000 + Math.round(fault.pick * 2000);
      return {
        rule: slowRule(delay),
        proxy: fronts.aws,
        target: 'ec2:all',
        detail: `every EC2 call ${delay} ms late for ${ms} ms`,
      };
    }
    case 'kube-api-errors': {
      const kind = KUBE_FAULTS[Math.floor(fault.pick * KUBE_FAULTS.length)] ?? '500';
      return {
        rule: kubeApiRule(kind, Math.min(ms, 5000)),
        proxy: fronts.kube,
        target: `kube-api:${kind}`,
        detail: `every API request from the services ${kind === 'timeout' ? 'hangs' : `answers ${kind}`} for ${ms} ms`,
      };
    }
    case 'prometheus-down':
      return {
        rule: downRule('prometheus-down'),
        proxy: fronts.prometheus,
        target: 'prometheus',
        detail: `connections to Prometheus reset for ${ms} ms`,
      };
  }
}
