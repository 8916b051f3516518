// The plan's DynamoDB tables in moto: the local side of stacks/data.ts.
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsClients } from '@smartscale/aws';
import type { DeploymentPlan, PlannedTable, TableName } from '@smartscale/stacks';

export type AppliedTables = Record<TableName, { readonly name: string }>;

async function ensureTable(clients: AwsClients, name: string, spec: PlannedTable['spec']) {
  let exists = true;
  try {
    await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    exists = false;
  }
  if (!exists) {
    const attributes = new Map<string, 'S' | 'N'>();
    const keys = [
      spec.partitionKey,
      spec.sortKey,
      ...spec.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ];
    for (const key of keys) attributes.set(key.name, key.type);
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
        ...(spec.globalIndexes.length > 0
          ? {
              GlobalSecondaryIndexes: spec.globalIndexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
  }
  if (spec.ttlAttribute) {
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await clients.dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
        }),
      );
    }
  }
}

/**
 * Each planned table on demand, with its keys, global indexes and TTL; an
 * existing table only gets its TTL turned on if it is off. Safe to run again.
 */
export async function applyTables(
  clients: AwsClients,
  plan: DeploymentPlan,
): Promise<AppliedTables> {
  const tables = {} as Record<TableName, { name: string }>;
  for (const table of plan.tables) {
    await ensureTable(clients, table.name, table.spec);
    tables[table.key] = { name: table.name };
  }
  return tables;
}
