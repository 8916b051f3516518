// EC2's own failure answers, for the fault proxy in front of moto: what
// AWS returns when a zone or a capacity type has no capacity
// (InsufficientInstanceCapacity; for an instant fleet a 200 with an error
// per pool and no instances), when calls are throttled
// (RequestLimitExceeded) and a slow API. Pure: a request in, an answer out.
import type { FaultAction, FaultRule, ProxiedRequest } from './fault-proxy.ts';

/** The EC2 query API's version; SQS and the others on moto carry their own. */
const EC2_VERSION = '2016-11-15';

export const LAUNCH_ACTIONS = ['RunInstances', 'CreateFleet'] as const;
export type LaunchAction = (typeof LAUNCH_ACTIONS)[number];

/** The EC2 call a request makes (its form parameters), or null for any other service. */
export function ec2Call(
  request: Pick<ProxiedRequest, 'body' | 'headers'>,
): { action: string; params: URLSearchParams } | null {
  if (request.headers['x-amz-target']) return null;
  const params = new URLSearchParams(request.body.toString('utf8'));
  const action = params.get('Action');
  if (!action || params.get('Version') !== EC2_VERSION) return null;
  return { action, params };
}

/** Where a launch asks for capacity: its subnet and capacity type. */
export function launchTarget(params: URLSearchParams): {
  subnetId: string | null;
  capacityType: 'spot' | 'on-demand';
  instanceType: string | null;
} {
  const fleet = params.get('Action') === 'CreateFleet';
  const subnetId = fleet
    ? params.get('LaunchTemplateConfigs.1.Overrides.1.SubnetId')
    : params.get('SubnetId');
  const spot = fleet
    ? params.get('TargetCapacitySpecification.DefaultTargetCapacityType') === 'spot'
    : params.get('InstanceMarketOptions.MarketType') === 'spot';
  const instanceType = fleet
    ? params.get('LaunchTemplateConfigs.1.Overrides.1.InstanceType')
    : params.get('InstanceType');
  return { subnetId, capacityType: spot ? 'spot' : 'on-demand', instanceType };
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An EC2 error response as the query API sends it. */
export function ec2Error(status: number, code: string, message: string): FaultAction {
  return {
    kind: 'respond',
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>soak-${Date.now()}</RequestID></Response>`,
  };
}

/**
 * An instant fleet that found no capacity: HTTP 200, one error per override
 * asked for, no instances, as CreateFleet reports a pool it could not fill.
 */
export function fleetCapacityError(params: URLSearchParams, zone: string): FaultAction {
  const spot =
    params.get('TargetCapacitySpecification.DefaultTargetCapacityType') === 'spot'
      ? 'spot'
      : 'on-demand';
  const items: string[] = [];
  for (let i = 1; params.has(`LaunchTemplateConfigs.1.Overrides.${i}.InstanceType`); i++) {
    const type = params.get(`LaunchTemplateConfigs.1.Overrides.${i}.InstanceType`) ?? '';
    const subnet = params.get(`LaunchTemplateConfigs.1.Overrides.${i}.SubnetId`) ?? '';
    items.push(
      `<item><launchTemplateAndOverrides><overrides><instanceType>${xmlEscape(type)}</instanceType><subnetId>${xmlEscape(subnet)}</subnetId><availabilityZone>${xmlEscape(zone)}</availabilityZone></overrides></launchTemplateAndOverrides><lifecycle>${spot}</lifecycle><errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>We currently do not have sufficient ${xmlEscape(type)} capacity in the Availability Zone you requested (${xmlEscape(zone)}).</errorMessage></item>`,
    );
  }
  return {
    kind: 'respond',
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/${EC2_VERSION}/"><requestId>soak-${Date.now()}</requestId><fleetId>fleet-soak${Date.now().toString(16)}</fleetId><errorSet>${items.join('')}</errorSet><fleetInstanceSet/></CreateFleetResponse>`,
  };
}

/** Which launches a capacity fault refuses: one zone, or one capacity type everywhere. */
export type CapacityScope =
  | { readonly zone: string }
  | { readonly capacityType: 'spot' | 'on-demand' };

/**
 * Launches (RunInstances, CreateFleet) into `scope` fail for lack of
 * capacity; every other call goes through.
 *
 * @example
 * proxy.add(capacityRule({ zone: 'us-east-1a' }, new Map([['subnet-1', 'us-east-1a']])));
 */
export function capacityRule(
  scope: CapacityScope,
  zoneOfSubnet: ReadonlyMap<string, string>,
): FaultRule {
  return {
    name: 'ec2-capacity',
    decide(request) {
      const call = ec2Call(request);
      if (!call || !(LAUNCH_ACTIONS as readonly string[]).includes(call.action)) return null;
      const target = launchTarget(call.params);
      const zone = (target.subnetId && zoneOfSubnet.get(target.subnetId)) ?? 'unknown';
      const hit =
        'zone' in scope ? zone === scope.zone : target.capacityType === scope.capacityType;
      if (!hit) return null;
      if (call.action === 'CreateFleet') return fleetCapacityError(call.params, zone);
      return ec2Error(
        500,
        'InsufficientInstanceCapacity',
        `We currently do not have sufficient ${target.instanceType ?? 'instance'} capacity in the Availability Zone you requested (${zone}).`,
      );
    },
  };
}

/** Launches are throttled (RequestLimitExceeded, HTTP 503), as EC2 does past its request rate. */
export function throttleRule(): FaultRule {
  return {
    name: 'ec2-throttle',
    decide(request) {
      const call = ec2Call(request);
      if (!call || !(LAUNCH_ACTIONS as readonly string[]).includes(call.action)) return null;
      return ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    },
  };
}

/** Every EC2 call answers `ms` late. */
export function slowRule(ms: number): FaultRule {
  if (!(ms > 0)) throw new RangeError(`slow EC2 delay must be positive ms, got ${ms}`);
  return {
    name: 'ec2-slow',
    decide: (request) => (ec2Call(request) ? { kind: 'delay', ms } : null),
  };
}
