import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Where and as whom to call AWS. Every field is optional: in Lambda the SDK's
 * defaults (region and role credentials from the environment, AWS endpoints)
 * apply. Locally `endpoint` points at moto.
 */
export interface AwsOptions {
  readonly region?: string;
  /** A custom endpoint such as `http://127.0.0.1:5000`; AWS's own when absent. */
  readonly endpoint?: string;
  /** Static credentials (moto accepts any); the SDK's provider chain when absent. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** SDK retry attempts (3 by default). */
  readonly maxAttempts?: number;
  /** Give up connecting after this long (an operator's command should not hang on a dead host). */
  readonly connectionTimeoutMs?: number;
}

/** SDK v3 clients for every AWS service SmartScale calls. */
export interface AwsClients {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  readonly ec2: EC2Client;
  readonly eventbridge: EventBridgeClient;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  /** The samples claim-check bucket (issue #17). */
  readonly s3: S3Client;
  /** Closes every client's connections. */
  destroy(): void;
}

/**
 * Options for a moto server: fixed dummy credentials so nothing from the
 * developer's real AWS profile is ever used against it.
 *
 * @example
 * const clients = createAwsClients(localAwsOptions('http://127.0.0.1:5000'));
 */
export function localAwsOptions(endpoint: string, region = 'us-east-1'): AwsOptions {
  return {
    region,
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/**
 * Reads AWS options from the environment: `SMARTSCALE_AWS_ENDPOINT` selects a
 * local endpoint (with dummy credentials); otherwise the SDK defaults apply.
 */
export function awsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsOptions {
  const endpoint = env.SMARTSCALE_AWS_ENDPOINT;
  if (endpoint) return localAwsOptions(endpoint, env.AWS_REGION ?? 'us-east-1');
  return env.AWS_REGION ? { region: env.AWS_REGION } : {};
}

/** The SDK client configuration for `options` (credentials are passed, never logged). */
export function clientConfig(options: AwsOptions): {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
  requestHandler?: { connectionTimeout: number };
} {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    ...(options.connectionTimeoutMs
      ? { requestHandler: { connectionTimeout: options.connectionTimeoutMs } }
      : {}),
  };
}

/**
 * Creates one client per service with the same options.
 *
 * @example
 * const aws = createAwsClients({ endpoint: moto.endpoint, region: 'us-east-1' });
 */
export function createAwsClients(options: AwsOptions = {}): AwsClients {
  const config = clientConfig(options);
  const dynamodb = new DynamoDBClient(config);
  const clients = {
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    }),
    ec2: new EC2Client(config),
    eventbridge: new EventBridgeClient(config),
    ssm: new SSMClient(config),
    cloudwatch: new CloudWatchClient(config),
    // A local endpoint (moto) has no per-bucket host names: address buckets by path.
    s3: new S3Client({ ...config, ...(options.endpoint ? { forcePathStyle: true } : {}) }),
  };
  return {
    ...clients,
    destroy() {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}
