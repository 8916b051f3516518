import { describe, expect, it } from 'vitest';
import {
  functionEnvironment,
  launchTemplateVersionProblem,
  readDeploySettings,
  workerSubnetProblems,
} from '../../settings.ts';

const good = {
  SMARTSCALE_CLUSTER_ID: 'prod-eu',
  SMARTSCALE_PROMETHEUS_URL: 'http://10.0.1.10:30090',
  SMARTSCALE_KUBE_API_URL: 'https://10.0.1.10:6443',
  SMARTSCALE_LAUNCH_TEMPLATE_ID: 'lt-0abc',
  SMARTSCALE_LAUNCH_TEMPLATE_VERSION: '3',
  SMARTSCALE_WORKER_ROLE_NAME: 'smartscale-worker',
  SMARTSCALE_SUBNET_IDS: 'subnet-a, subnet-b',
  SMARTSCALE_SECURITY_GROUP_IDS: 'sg-1',
  SMARTSCALE_ZONES: 'eu-west-1a,eu-west-1b',
};

describe('deploy settings', () => {
  it('reads lists and values', () => {
    expect(readDeploySettings(good)).toMatchObject({
      clusterId: 'prod-eu',
      subnetIds: ['subnet-a', 'subnet-b'],
      zones: ['eu-west-1a', 'eu-west-1b'],
    });
  });

  it('names every missing or bad setting and what it should hold', () => {
    const run = () =>
      readDeploySettings({
        ...good,
        SMARTSCALE_CLUSTER_ID: 'prod eu!',
        SMARTSCALE_KUBE_API_URL: 'http://10.0.1.10:6443',
        SMARTSCALE_ZONES: '',
      });
    expect(run).toThrow(/SMARTSCALE_CLUSTER_ID 'prod eu!' is invalid/);
    expect(run).toThrow(/SMARTSCALE_KUBE_API_URL must use https/);
    expect(run).toThrow(/SMARTSCALE_ZONES is not set: expected comma-separated availability zones/);
  });

  it("takes the server role and the parameters' key when given, and names a malformed one", () => {
    const settings = readDeploySettings(good);
    expect(settings.serverRoleArn).toBeUndefined();
    expect(settings.parameterKeyArn).toBeUndefined();
    const role = 'arn:aws:iam::123456789012:role/infra/k3s-server';
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(
      readDeploySettings({
        ...good,
        SMARTSCALE_SERVER_ROLE_ARN: role,
        SMARTSCALE_PARAMETER_KEY_ARN: key,
      }),
    ).toMatchObject({ serverRoleArn: role, parameterKeyArn: key });
    const bad = () =>
      readDeploySettings({
        ...good,
        SMARTSCALE_SERVER_ROLE_ARN: 'k3s-server',
        SMARTSCALE_PARAMETER_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm',
      });
    expect(bad).toThrow(
      /SMARTSCALE_SERVER_ROLE_ARN 'k3s-server' is invalid: expected the K3s server's instance role ARN/,
    );
    expect(bad).toThrow(
      /SMARTSCALE_PARAMETER_KEY_ARN 'arn:aws:kms:eu-west-1:123456789012:alias\/aws\/ssm' is invalid: expected the key ARN \(not an alias\)/,
    );
  });

  it('pins the launch template version by number, and hands it to every function (issue #21 item 6)', () => {
    const settings = readDeploySettings(good);
    expect(settings.launchTemplateVersion).toBe('3');
    expect(functionEnvironment('smartscale-prod', settings, '{}', 'provisioner')).toMatchObject({
      SMARTSCALE_LAUNCH_TEMPLATE_ID: 'lt-0abc',
      SMARTSCALE_LAUNCH_TEMPLATE_VERSION: '3',
    });
    const { SMARTSCALE_LAUNCH_TEMPLATE_VERSION: _, ...unset } = good;
    expect(() => readDeploySettings(unset)).toThrow(
      /SMARTSCALE_LAUNCH_TEMPLATE_VERSION is not set: expected the number of the launch template version/,
    );
    for (const version of ['$Latest', '$Default', '0', '1.5'])
      expect(() =>
        readDeploySettings({ ...good, SMARTSCALE_LAUNCH_TEMPLATE_VERSION: version }),
      ).toThrow(`SMARTSCALE_LAUNCH_TEMPLATE_VERSION '${version}' is invalid`);
  });

  it("refuses to deploy a pinned version that is not the template's default, whose AMI the policy names", () => {
    const settings = { launchTemplateId: 'lt-0abc', launchTemplateVersion: '3' };
    expect(launchTemplateVersionProblem(settings, 3)).toBeNull();
    expect(launchTemplateVersionProblem(settings, 5)).toBe(
      "SMARTSCALE_LAUNCH_TEMPLATE_VERSION is 3, but the default version of lt-0abc is 5: the deploy scopes the provisioner's launches to the default version's AMI and security groups, so pin that one, or make version 3 the default first (aws ec2 modify-launch-template --launch-template-id lt-0abc --default-version 3)",
    );
  });

  it('reads the policy file, and names the file and the bad field when it is wrong', () => {
    const files: Record<string, string> = {
      'policy.json': '{ "workers": { "min": 3, "max": 30 } }',
      'bad.json': '{ "workers": { "min": 12, "max": 4 } }',
      'broken.json': '{ workers: 1',
    };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file '${path}'`);
      return text;
    };
    const withFile = (f?: string) =>
      readDeploySettings({ ...good, ...(f ? { SMARTSCALE_CONFIG_FILE: f } : {}) }, read);
    expect(withFile().policyJson).toBe('{}');
    expect(JSON.parse(withFile('policy.json').policyJson)).toEqual({
      workers: { min: 3, max: 30 },
    });
    expect(() => withFile('bad.json')).toThrow(
      /SMARTSCALE_CONFIG_FILE 'bad.json': .*workers\.min: must not exceed workers\.max \(4\)/,
    );
    expect(() => withFile('broken.json')).toThrow(/'broken.json' is not JSON/);
    expect(() => withFile('missing.json')).toThrow(/'missing.json' cannot be read/);
  });

  it('needs one subnet per zone', () => {
    expect(() => readDeploySettings({ ...good, SMARTSCALE_ZONES: 'eu-west-1a' })).toThrow(
      /SMARTSCALE_SUBNET_IDS has 2 subnet\(s\) and SMARTSCALE_ZONES 1 zone\(s\)/,
    );
  });

  it('refuses worker subnets that hand out public IPs or sit in another zone', () => {
    const zones = ['eu-west-1a', 'eu-west-1b'];
    expect(
      workerSubnetProblems({ zones }, [
        { id: 'subnet-a', availabilityZone: 'eu-west-1a', mapPublicIpOnLaunch: false },
        { id: 'subnet-b', availabilityZone: 'eu-west-1b', mapPublicIpOnLaunch: false },
      ]),
    ).toEqual([]);
    expect(
      workerSubnetProblems({ zones }, [
        { id: 'subnet-a', availabilityZone: 'eu-west-1a', mapPublicIpOnLaunch: true },
        { id: 'subnet-b', availabilityZone: 'eu-west-1c', mapPublicIpOnLaunch: false },
      ]),
    ).toEqual([
      expect.stringMatching(/subnet-a gives new instances a public IP .*expected a private subnet/),
      expect.stringMatching(/subnet-b is in eu-west-1c, but SMARTSCALE_ZONES gives eu-west-1b/),
    ]);
  });
});
