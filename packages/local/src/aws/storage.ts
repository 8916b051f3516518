// The plan's S3 buckets in moto: the local side of stacks/storage.ts.
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand,
} from '@aws-sdk/client-s3';
import type { AwsClients } from '@smartscale/aws';
import type { BucketName, DeploymentPlan, PlannedBucket } from '@smartscale/stacks';

export type AppliedBuckets = Record<BucketName, { readonly name: string }>;

/**
 * The bucket as the SST mapping declares it (stacks/storage.ts): private
 * (every public access block on), encrypted at rest (SSE-S3), objects under
 * the prefix expiring after the planned days. Safe to run again.
 */
async function ensureBucket(clients: AwsClients, bucket: PlannedBucket): Promise<void> {
  let exists = true;
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket.name }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'NotFound') throw error;
    exists = false;
  }
  if (!exists) await clients.s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
  await clients.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket.name,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  await clients.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket.name,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
  await clients.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket.name,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: `expire-${bucket.spec.objectPrefix.replace(/\/$/, '')}`,
            Status: 'Enabled',
            Filter: { Prefix: bucket.spec.objectPrefix },
            Expiration: { Days: bucket.spec.expireAfterDays },
          },
        ],
      },
    }),
  );
}

/** Each planned bucket, private, encrypted and expiring its prefix. */
export async function applyBuckets(
  clients: AwsClients,
  plan: DeploymentPlan,
): Promise<AppliedBuckets> {
  const buckets = {} as Record<BucketName, { name: string }>;
  for (const bucket of plan.buckets) {
    await ensureBucket(clients, bucket);
    buckets[bucket.key] = { name: bucket.name };
  }
  return buckets;
}
