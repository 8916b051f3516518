/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the topology's DynamoDB tables.
import { names, type TableName, topology } from './topology.ts';

export type Tables = Record<TableName, sst.aws.Dynamo>;

export function createTables(prefix: string): Tables {
  const tables = {} as Tables;
  for (const [name, spec] of Object.entries(topology.tables) as [
    TableName,
    (typeof topology.tables)[TableName],
  ][]) {
    const type = (t: 'S' | 'N') => (t === 'S' ? 'string' : 'number') as 'string' | 'number';
    const fields: Record<string, 'string' | 'number'> = {
      [spec.partitionKey.name]: type(spec.partitionKey.type),
      [spec.sortKey.name]: type(spec.sortKey.type),
    };
    for (const gi of spec.globalIndexes) {
      fields[gi.partitionKey.name] = type(gi.partitionKey.type);
      fields[gi.sortKey.name] = type(gi.sortKey.type);
    }
    tables[name] = new sst.aws.Dynamo(`Table-${name}`, {
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
      transform: {
        table: { name: names.table(prefix, name), pointInTimeRecovery: { enabled: true } },
      },
    });
  }
  return tables;
}
