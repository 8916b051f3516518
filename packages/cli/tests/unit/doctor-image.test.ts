import { describe, expect, it } from 'vitest';
import {
  AMAZON_LINUX_OWNER,
  CANONICAL_OWNER,
  classifyWorkerImage,
  DEBIAN_OWNER,
} from '../../src/doctor-image.js';

describe('classifyWorkerImage', () => {
  it('calls only the publishers own Amazon Linux 2023 standard images good', () => {
    expect(
      classifyWorkerImage({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'al2023-ami-2023.12.20260930.0-kernel-6.1-x86_64',
      }),
    ).toEqual({ kind: 'has-tools', family: 'Amazon Linux 2023' });
    // The same name in anyone else's account says nothing.
    expect(
      classifyWorkerImage({
        OwnerId: '123456789012',
        Name: 'al2023-ami-2023.12.20260930.0-kernel-6.1-x86_64',
      }),
    ).toEqual({ kind: 'unknown' });
  });

  it('names what the images known to lack tools lack', () => {
    const lacks = (image: Parameters<typeof classifyWorkerImage>[0]) => {
      const verdict = classifyWorkerImage(image);
      return verdict.kind === 'lacks-tools' ? verdict.missing : verdict.kind;
    };
    expect(
      lacks({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'al2023-ami-minimal-2023.12.0-kernel-6.1-x86_64',
      }),
    ).toBe('the AWS CLI (the minimal image leaves it out)');
    expect(
      lacks({
        OwnerId: CANONICAL_OWNER,
        Name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260901',
      }),
    ).toBe('the AWS CLI (stock Ubuntu images have none)');
    expect(lacks({ OwnerId: DEBIAN_OWNER, Name: 'debian-12-amd64-20260901-1800' })).toBe(
      'the AWS CLI (Debian cloud images have none)',
    );
    expect(
      lacks({ OwnerId: '801119661308', Name: 'Windows_Server-2022', Platform: 'windows' }),
    ).toBe('bash: the user data is a bash script');
  });

  it('warns of Amazon Linux 2 and leaves other Amazon images (ECS-optimised, AL2022) unknown', () => {
    expect(
      classifyWorkerImage({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'amzn2-ami-hvm-2.0.20260930.0-x86_64-gp2',
      }).kind,
    ).toBe('ageing');
    expect(
      classifyWorkerImage({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'amzn2-ami-kernel-5.10-hvm-2.0.20260930.0-x86_64-gp2',
      }).kind,
    ).toBe('ageing');
    expect(
      classifyWorkerImage({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'amzn2-ami-minimal-hvm-2.0.20260930.0-x86_64-ebs',
      }).kind,
    ).toBe('unknown');
    expect(
      classifyWorkerImage({
        OwnerId: '591542846629',
        Name: 'al2023-ami-ecs-hvm-2023.0.20250716-kernel-6.1-x86_64',
      }).kind,
    ).toBe('unknown');
    expect(
      classifyWorkerImage({
        OwnerId: AMAZON_LINUX_OWNER,
        Name: 'al2022-ami-2022.0.20220728.1-kernel-5.15-x86_64',
      }).kind,
    ).toBe('unknown');
  });
});
