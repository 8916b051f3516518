/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's DynamoDB tables.
import type { DeploymentPlan } from './plan.ts';
import type { TableName } from './topology.ts';

export type Tables = Record<TableName, sst.aws.Dynamo>;

export function createTables(plan: DeploymentPlan): Tables {
  const tables = {} as Tables;
  const type = (t: 'S' | 'N') => (t === 'S' ? 'string' : 'number') as 'string' | 'number';
  for (const { key, name, spec } of plan.tables) {
    const fields: Record<string, 'string' | 'number'> = {
      [spec.partitionKey.name]: type(spec.partitionKey.type),
      [spec.sortKey.name]: type(spec.sortKey.type),
    };
    for (const gi of spec.globalIndexes) {
      fields[gi.partitionKey.name] = type(gi.partitionKey.type);
      fields[gi.sortKey.name] = type(gi.sortKey.type);
    }
    tables[key] = new sst.aws.Dynamo(`Table-${key}`, {
      fields,
      primaryIndex: { hashKey: spec.partitionKey.name, rangeKey: spec.sortKey.name },
      ...(spec.globalIndexes.length > 0
        ? {
            globalIndexes: Object.fromEntries(
              spec.globalIndexes.map((gi) => [
                gi.name,
                { hashKey: gi.partitionKey.name, rangeKey: gi.sortKey.name },
              ]),
            ),
          }
        : {}),
      ...(spec.ttlAttribute ? { ttl: spec.ttlAttribute } : {}),
      // Encrypted at rest with the AWS managed key aws/dynamodb, stated
      // rather than left to the default (an AWS owned key, invisible in the
      // account's KMS and CloudTrail); its key policy admits whoever may use
      // the table through DynamoDB, so the functions need no KMS grant.
      // Point-in-time recovery in every stage: the audit log and the
      // cluster state are what a person reconstructs an incident from.
      transform: {
        table: {
          name,
          pointInTimeRecovery: { enabled: true },
          serverSideEncryption: { enabled: true },
        },
      },
    });
  }
  return tables;
}
