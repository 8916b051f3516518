// `smartscale doctor`: the workers' AMI (issue #22). The user data
// (k3s/worker-user-data.sh with k3s/fetch-k3s.sh) runs under bash and calls
// curl (IMDSv2 and the K3s download), the AWS CLI (the join token from SSM),
// sha256sum and install (the pinned K3s files) and systemctl (the agent); it
// installs none of them itself, so an image without one ends every launch in
// JoinFailed. The EC2 API cannot look inside an image: what it can say is
// whether the image exists, is available, fits the instance types'
// architecture, and whose it is. Only image families whose publisher ships
// those tools are called ok; a name alone is never trusted (anyone may name
// an image al2023-ami-...), so the owner must be the publisher's account.

import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import { DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand } from '@aws-sdk/client-ec2';
import { resolveInstanceTypes } from '@smartscale/aws';
import type { Config } from '@smartscale/core';
import { type DoctorFinding, ok, problem, warning } from './doctor-finding.js';

/** What the worker user data calls, in the order it calls them. */
export const USER_DATA_TOOLS = ['bash', 'curl', 'aws (AWS CLI)', 'sha256sum', 'systemctl'] as const;

/** The account Amazon Linux images are published from (ImageOwnerAlias amazon). */
export const AMAZON_LINUX_OWNER = '137112412989';
/** Canonical's account: stock Ubuntu images. */
export const CANONICAL_OWNER = '099720109477';
/** Debian's account for its official cloud images. */
export const DEBIAN_OWNER = '136693071363';

const USE_AL2023 =
  'use Amazon Linux 2023 (aws ec2 describe-images --owners amazon --filters Name=name,Values=al2023-ami-2023.*-<arch>), or bake an image with the AWS CLI v2 installed; then create a new launch template version with it (k3s/create-launch-template.sh)';

/** How much the EC2 API's facts about an image say about the tools the user data needs. */
export type ImageVerdict =
  | { readonly kind: 'has-tools'; readonly family: string }
  | { readonly kind: 'lacks-tools'; readonly family: string; readonly missing: string }
  | { readonly kind: 'ageing'; readonly family: string; readonly why: string }
  | { readonly kind: 'unknown' };

/**
 * The image family by owner account and name, and what its publisher ships.
 * Facts from the publishers: Amazon Linux 2023's standard AMI includes the
 * AWS CLI v2, curl, coreutils and systemd, its minimal AMI leaves the AWS
 * CLI out; Amazon Linux 2 ships AWS CLI v1 (enough for `ssm get-parameter`);
 * Canonical's and Debian's stock images ship no AWS CLI.
 */
export function classifyWorkerImage(image: {
  readonly OwnerId?: string | undefined;
  readonly Name?: string | undefined;
  readonly Platform?: string | undefined;
}): ImageVerdict {
  const name = image.Name ?? '';
  if (image.Platform?.toLowerCase() === 'windows')
    return {
      kind: 'lacks-tools',
      family: 'Windows',
      missing: 'bash: the user data is a bash script',
    };
  if (image.OwnerId === AMAZON_LINUX_OWNER) {
    if (/^al2023-ami-minimal-/.test(name))
      return {
        kind: 'lacks-tools',
        family: 'Amazon Linux 2023 minimal',
        missing: 'the AWS CLI (the minimal image leaves it out)',
      };
    if (/^al2023-ami-2023\./.test(name)) return { kind: 'has-tools', family: 'Amazon Linux 2023' };
    if (/^amzn2-ami-(kernel-[0-9.]+-)?hvm-/.test(name))
      return {
        kind: 'ageing',
        family: 'Amazon Linux 2',
        why: 'it ships AWS CLI v1, which the user data works with, but AWS ends its support on 2026-06-30',
      };
  }
  if (image.OwnerId === CANONICAL_OWNER && /^ubuntu\//.test(name))
    return {
      kind: 'lacks-tools',
      family: 'Ubuntu (Canonical)',
      missing: 'the AWS CLI (stock Ubuntu images have none)',
    };
  if (image.OwnerId === DEBIAN_OWNER && /^debian-/.test(name))
    return {
      kind: 'lacks-tools',
      family: 'Debian',
      missing: 'the AWS CLI (Debian cloud images have none)',
    };
  return { kind: 'unknown' };
}

/**
 * EC2 names architectures as `instance-types.ts` resolves them (x86_64,
 * arm64). An image that states none (moto's RegisterImage keeps none) is not
 * called a mismatch: nothing is known.
 */
const fitsArchitecture = (imageArchitecture: string | undefined, typeArchitecture: string) =>
  imageArchitecture === undefined || imageArchitecture === typeArchitecture;

/**
 * The AMI of the launch template version the provisioner launches (the
 * pinned `version`, else the default) and any `instance.imageIds` AMI that
 * overrides it for one architecture: each exists and is available, comes
 * from a family whose publisher ships the tools the user data calls, and
 * every architecture of the policy's instance types has an image (the
 * template's, or its own `instance.imageIds` entry). An image SmartScale
 * cannot vouch for is a warning saying what to verify, never an ok.
 */
export async function checkWorkerImage(
  ec2: EC2Client,
  launchTemplateId: string,
  version: string | undefined,
  config: Config,
  region: string,
): Promise<DoctorFinding[]> {
  const which = version ?? '$Default';
  let imageId: string | undefined;
  try {
    const res = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: [which],
      }),
    );
    imageId = res.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.ImageId;
  } catch {
    return []; // the launch template lines report a missing template or version
  }
  if (!imageId) return []; // reported as "names no AMI"
  const newVersion = `create a launch template version with an available image of ${region} (k3s/create-launch-template.sh), make it the default and set SMARTSCALE_LAUNCH_TEMPLATE_VERSION to it`;
  const template = await judgeImage(ec2, imageId, region, {
    missing: `every launch of launch template ${launchTemplateId} version ${which} fails`,
    replace: newVersion,
  });
  const overrides = Object.entries(config.instance.imageIds ?? {}).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  const findings = [...template.findings];
  const imageOf = new Map<string, Image | undefined>();
  for (const [architecture, overrideId] of overrides) {
    const judged = await judgeImage(ec2, overrideId, region, {
      missing: `every ${architecture} launch fails`,
      replace: `set instance.imageIds.${architecture} to an available ${architecture} image of ${region}`,
    });
    findings.push(...judged.findings);
    imageOf.set(architecture, judged.image);
    const stated = judged.image?.Architecture;
    if (judged.image && !fitsArchitecture(stated, architecture))
      findings.push(
        problem(
          `worker image ${overrideId}`,
          `instance.imageIds.${architecture} names an image of ${stated}: RunInstances refuses every ${architecture} launch`,
          `set instance.imageIds.${architecture} to an ${architecture} image`,
        ),
      );
  }
  if (!template.image) return findings;
  try {
    const types = await resolveInstanceTypes(ec2, region, config);
    const architectures = [...new Set(types.map((t) => t.architecture))];
    for (const architecture of architectures) {
      if (imageOf.has(architecture)) continue; // its own image, judged above
      if (fitsArchitecture(template.image.Architecture, architecture)) continue;
      const ofArch = types.filter((t) => t.architecture === architecture);
      findings.push(
        problem(
          `worker image ${imageId}`,
          `${describe(template.image)} is ${template.image.Architecture}, but the policy's instance types (${ofArch.map((t) => t.instanceType).join(', ')}) are ${architecture}: RunInstances refuses every launch of them`,
          architectures.length > 1
            ? `set instance.imageIds.${architecture} to an ${architecture} image, or drop those types`
            : `use an ${architecture} image (${newVersion}), or instance types of ${template.image.Architecture}`,
        ),
      );
    }
  } catch {
    // The vCPU quota line reports a policy whose types do not resolve.
  }
  return findings;
}

const describe = (image: Image) =>
  `${image.Name ?? '(no name)'}, owner ${image.OwnerId ?? 'unknown'}`;

/**
 * One image: found, available, and what its family says about the user
 * data's tools. `image` is returned only when it exists and is available,
 * so the caller checks its architecture against the instance types.
 */
async function judgeImage(
  ec2: EC2Client,
  imageId: string,
  region: string,
  when: { readonly missing: string; readonly replace: string },
): Promise<{ image?: Image; findings: DoctorFinding[] }> {
  const check = `worker image ${imageId}`;
  let image: Image | undefined;
  try {
    image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    if (!/^InvalidAMIID\./.test(name))
      return {
        findings: [
          warning(
            check,
            `could not describe the image (${name})`,
            `aws ec2 describe-images --image-ids ${imageId} --region ${region} (doctor needs ec2:DescribeImages)`,
          ),
        ],
      };
  }
  if (!image)
    return {
      findings: [
        problem(
          check,
          `not found in ${region} (deregistered, or another region's): ${when.missing}`,
          when.replace,
        ),
      ],
    };
  const owner = describe(image);
  if (image.State !== 'available')
    return {
      findings: [
        problem(
          check,
          `${owner} is ${image.State ?? 'in no state'}, not available: launches fail until it is`,
          image.State === 'pending' ? 'wait until it is available' : when.replace,
        ),
      ],
    };
  const verdict = classifyWorkerImage(image);
  const tools = USER_DATA_TOOLS.join(', ');
  switch (verdict.kind) {
    case 'has-tools':
      return {
        image,
        findings: [
          ok(
            check,
            `${owner}: ${verdict.family}, which ships what the user data calls (${tools}); ${image.Architecture}, available`,
          ),
        ],
      };
    case 'lacks-tools':
      return {
        image,
        findings: [
          problem(
            check,
            `${owner}: ${verdict.family} lacks ${verdict.missing}; the user data installs none of its tools, so every worker ends in JoinFailed`,
            USE_AL2023,
          ),
        ],
      };
    case 'ageing':
      return {
        image,
        findings: [warning(check, `${owner}: ${verdict.family}: ${verdict.why}`, USE_AL2023)],
      };
    case 'unknown':
      return {
        image,
        findings: [
          warning(
            check,
            `${owner}: not an image family doctor knows, and the EC2 API cannot tell what is installed in it; the user data needs ${tools} and installs none of them (it stops with "the AWS CLI is required on the worker image")`,
            `launch one instance of it and run 'command -v bash curl aws sha256sum systemctl'; or ${USE_AL2023}`,
          ),
        ],
      };
  }
}
