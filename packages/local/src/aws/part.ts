import { join } from 'node:path';
import { createAwsClients, localAwsOptions } from '@smartscale/aws';
import type { EnvPart, RunningPart } from '../env.js';
import { toServiceResources } from '../services/run-services.ts';
import { type AppliedTopology, applyTopology } from './bootstrap.js';
import { startMoto } from './moto-server.js';

export interface AwsPartOptions {
  /** Resource name prefix (stage); `smartscale-local` by default. */
  readonly prefix?: string;
  readonly port?: number;
}

/** Lines describing an applied topology, for people. */
export function describeTopology(applied: AppliedTopology): string[] {
  const lines: string[] = [];
  for (const [name, topic] of Object.entries(applied.topics)) {
    lines.push(`topic  ${name.padEnd(14)} ${topic.arn}`);
  }
  for (const [name, queue] of Object.entries(applied.queues)) {
    lines.push(
      `queue  ${name.padEnd(14)} ${queue.url} (visibility ${queue.visibilityTimeoutSeconds}s, DLQ after ${queue.maxReceiveCount} receives: ${queue.dlqName})`,
    );
  }
  for (const s of applied.subscriptions) {
    lines.push(`subscription ${s.topic} -> ${s.queue} filter ${s.filterPolicy}`);
  }
  for (const [name, rule] of Object.entries(applied.rules)) {
    lines.push(`rule   ${name.padEnd(17)} -> ${rule.targetQueue} (${rule.name})`);
  }
  for (const [name, table] of Object.entries(applied.tables)) {
    lines.push(`table  ${name.padEnd(14)} ${table.name}`);
  }
  for (const [name, parameter] of Object.entries(applied.parameters)) {
    lines.push(`param  ${name.padEnd(14)} ${parameter}`);
  }
  return lines;
}

/**
 * The AWS part of the local environment: a moto server with the topology of
 * stacks/topology.ts applied.
 *
 * @example
 * const env = await startLocalEnv([awsPart({ prefix: 'dev' })]);
 */
export function awsPart(options: AwsPartOptions = {}): EnvPart {
  const prefix = options.prefix ?? 'smartscale-local';
  return {
    name: 'aws',
    async start(context): Promise<RunningPart> {
      context.log('starting moto');
      const moto = await startMoto({
        ...(options.port ? { port: options.port } : {}),
        logFile: join(context.stateDir, 'moto.log'),
      });
      try {
        const clients = createAwsClients(localAwsOptions(moto.endpoint));
        const applied = await applyTopology(clients, prefix);
        clients.destroy();
        return {
          name: 'aws',
          summary: [
            `moto ${moto.endpoint} (pid ${moto.pid}); use SMARTSCALE_AWS_ENDPOINT=${moto.endpoint} AWS_REGION=us-east-1`,
            ...describeTopology(applied),
          ],
          // `resources` is what services and `npx smartscale` read (cluster id = prefix).
          details: {
            endpoint: moto.endpoint,
            region: 'us-east-1',
            topology: applied,
            resources: toServiceResources(applied, prefix),
          },
          processes: [{ pid: moto.pid, commandContains: 'serve_moto.py' }],
          stop: () => moto.stop(),
        };
      } catch (error) {
        await moto.stop();
        throw error;
      }
    },
  };
}
