import { ValidationError } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  eniMaxPods,
  K3S_MAX_PODS,
  parseConfig,
  podAllocatable,
  type ResolvedInstanceType,
  withResolvedTypes,
} from '../../src/index.js';

const MiB = 1024 ** 2;
function type(instanceType: string, vcpu: number, memoryMiB: number): ResolvedInstanceType {
  return {
    instanceType,
    vcpu,
    memoryMiB,
    architecture: 'x86_64',
    currentGeneration: true,
    capacity: { cpuMillis: vcpu * 1000, memoryBytes: memoryMiB * MiB },
    network: { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 6, eniMaxPods: 17 },
    maxPods: K3S_MAX_PODS,
  };
}

describe('instance settings', () => {
  it('keeps the single type as before, with capacity assumed until EC2 resolves it', () => {
    const c = parseConfig({});
    expect(c.instance.type).toBe('t3.medium');
    expect(c.instance.capacityFrom).toBe('assumed');
    expect(podAllocatable(c).cpuMillis).toBe(1800);
  });

  it('accepts a list of types or requirements, with defaults for architecture and generation', () => {
    expect(parseConfig({ instance: { types: ['t3.large', 'm6i.large'] } }).instance.types).toEqual([
      't3.large',
      'm6i.large',
    ]);
    const r = parseConfig({
      instance: { requirements: { families: ['t3', 'm6i'], vcpu: { min: 2, max: 8 } } },
    }).instance.requirements;
    expect(r).toEqual({
      families: ['t3', 'm6i'],
      vcpu: { min: 2, max: 8 },
      architecture: 'x86_64',
      currentGenerationOnly: true,
    });
  });

  it.each([
    [
      { instance: { type: 't3.medium', types: ['t3.large'] } },
      'instance.types: give one of instance.type, instance.types and instance.requirements, got instance.type and instance.types',
    ],
    [
      { instance: { types: ['t3.large', 't3.large'] } },
      "instance.types[1]: duplicate type 't3.large'",
    ],
    [{ instance: { types: [] } }, 'instance.types'],
    [
      { instance: { requirements: { vcpu: { min: 8, max: 2 } } } },
      'instance.requirements.vcpu: min must not exceed max (vCPUs)',
    ],
    [
      { instance: { requirements: { architecture: 'sparc' } } },
      'instance.requirements.architecture',
    ],
    [{ instance: { requirements: { gpus: 1 } } }, 'instance.requirements'],
    [
      {
        instance: {
          types: ['t3.large'],
          capacity: { cpuMillis: 2000, memoryBytes: 4 * 1024 ** 3 },
        },
      },
      'instance.capacity: is read from EC2 for each type',
    ],
  ])('refuses %j naming the setting', (input, message) => {
    expect(() => parseConfig(input)).toThrow(ValidationError);
    expect(() => parseConfig(input)).toThrow(message);
  });
});

describe('a parsed config passed on as JSON', () => {
  it('parses to the same config, without turning the assumed capacity into an override', () => {
    const config = parseConfig({ instance: { types: ['t3.large', 'm7i.large'] } });
    expect(parseConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    const single = parseConfig({});
    expect(parseConfig(JSON.parse(JSON.stringify(single))).instance.capacityFrom).toBe('assumed');
  });
});

describe('withResolvedTypes', () => {
  it("sizes the decision's nodes as the smallest resolved type", () => {
    const config = parseConfig({ instance: { types: ['m6i.large', 't3.medium', 't3.large'] } });
    const { config: sized, notes } = withResolvedTypes(config, [
      type('m6i.large', 2, 8192),
      type('t3.medium', 2, 4096),
      type('t3.large', 2, 8192),
    ]);
    expect(sized.instance.type).toBe('t3.medium');
    expect(sized.instance.capacityFrom).toBe('ec2');
    expect(podAllocatable(sized)).toEqual({
      cpuMillis: 1800,
      memoryBytes: 4096 * MiB - 512 * MiB,
    });
    expect(notes.join(' ')).toContain(
      'pending pods are packed across them, cheapest per pod first',
    );
  });

  it('takes the capacity from EC2 instead of the assumed one', () => {
    const { config } = withResolvedTypes(parseConfig({ instance: { type: 'm6i.xlarge' } }), [
      type('m6i.xlarge', 4, 16384),
    ]);
    expect(config.instance.capacity).toEqual({ cpuMillis: 4000, memoryBytes: 16384 * MiB });
  });

  it('keeps a deprecated capacity override and says so', () => {
    const input = {
      instance: { type: 't3.medium', capacity: { cpuMillis: 1500, memoryBytes: 3 * 1024 ** 3 } },
    };
    const { config, notes } = withResolvedTypes(parseConfig(input), [type('t3.medium', 2, 4096)]);
    expect(config.instance.capacity.cpuMillis).toBe(1500);
    expect(config.instance.capacityFrom).toBe('config');
    expect(notes[0]).toMatch(
      /^instance\.capacity is deprecated: EC2 says t3\.medium has 2000m CPU/,
    );
  });

  it('refuses reserved settings that leave nothing on the resolved type, naming them', () => {
    const config = parseConfig({
      instance: { type: 't3.nano', reserved: { cpuMillis: 100, memoryBytes: 400 * MiB } },
    });
    expect(() => withResolvedTypes(config, [type('t3.nano', 2, 512)])).toThrow(
      /instance\.reserved\.memoryBytes: reserved plus daemonSetOverhead leaves no memoryBytes for pods on t3\.nano \(capacity 536870912 from EC2\)/,
    );
  });
});

describe('pods per node', () => {
  it('records the VPC CNI formula while K3s keeps its kubelet default', () => {
    expect(eniMaxPods(3, 6)).toBe(17);
    expect(eniMaxPods(4, 15)).toBe(58);
    expect(K3S_MAX_PODS).toBe(110);
  });
});
