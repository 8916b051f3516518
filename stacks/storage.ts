/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's S3 buckets: private (every public access block
// on, no CORS, HTTPS only, SST's default policy), encrypted at rest with
// SSE-S3, objects under the bucket's prefix expiring after the planned days.
// The local bootstrap (packages/local/src/aws/storage.ts) applies the same.
import type { DeploymentPlan } from './plan.ts';
import type { BucketName } from './topology.ts';

export type Buckets = Record<BucketName, sst.aws.Bucket>;

export function createBuckets(plan: DeploymentPlan): Buckets {
  const buckets = {} as Buckets;
  for (const { key, name, spec } of plan.buckets) {
    const bucket = new sst.aws.Bucket(`Bucket-${key}`, {
      cors: false,
      lifecycle: [
        {
          id: `expire-${spec.objectPrefix.replace(/\/$/, '')}`,
          prefix: spec.objectPrefix,
          expiresIn: `${spec.expireAfterDays} days` as const,
        },
      ],
      // A fixed name, so IAM statements and the services' resources can name it.
      transform: { bucket: { bucket: name } },
    });
    // S3 encrypts new objects with SSE-S3 by default since 2023; declared
    // here so the setting is ours and visible, not an account default.
    new aws.s3.BucketServerSideEncryptionConfiguration(`Bucket-${key}-Encryption`, {
      bucket: bucket.name,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    buckets[key] = bucket;
  }
  return buckets;
}
