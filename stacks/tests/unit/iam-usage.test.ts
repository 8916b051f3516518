// Least privilege both ways (issue #6): every IAM action a service is
// granted in stacks/topology.ts is one its code calls, and every AWS API its
// code calls is granted. "Calls" is found statically from the source (see
// aws-calls.ts), so the check needs no AWS and is deterministic.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionEnvironment, readDeploySettings } from '../../settings.ts';
import {
  kubeIdentities,
  names,
  type ParameterName,
  type PermissionSpec,
  type QueueName,
  type ServiceName,
  ServiceNames,
  topology,
} from '../../topology.ts';
import {
  compareGrants,
  type Grant,
  iamNeedOf,
  isRepositoryLibrary,
  repositoryProgram,
  type SdkCall,
  sdkCallsOf,
} from './aws-calls.ts';

const root = path.resolve(import.meta.dirname, '../../..');

/** A service's own source: `services/<svc>/*.ts`, tests excluded (they live in tests/). */
function serviceFiles(service: ServiceName): string[] {
  const dir = path.join(root, 'services', service);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f));
}

function resourceKey(ref: PermissionSpec['resource']): string {
  return 'name' in ref ? `${ref.kind}:${ref.name}` : ref.kind;
}

/** What topology.ts grants a service, one grant per (action, resource). */
function grantedTo(service: ServiceName): Grant[] {
  const specs: readonly PermissionSpec[] = topology.permissions[service];
  return specs.flatMap((p) =>
    p.actions.map((action) => ({ action, resource: resourceKey(p.resource) })),
  );
}

function consumedQueues(service: ServiceName): QueueName[] {
  return (Object.keys(topology.queues) as QueueName[]).filter(
    (q) => topology.queues[q].consumer === service,
  );
}

// Which table each store writes: createServiceContext gives AuditLog the
// `audit` table and every other store the `state` table. A DynamoDB call in
// any other class fails the check until it is added here.
const TABLE_OF_STORE: Readonly<Record<string, string>> = {
  AuditLog: 'audit',
  AvoidedPoolStore: 'state',
  ClusterLock: 'state',
  ClusterStateStore: 'state',
  DedupStore: 'state',
  ReconciliationLog: 'state',
};

/** Queues a service re-delivers to: the literal arguments of its `ctx.delayedTo('<queue>')` calls. */
function delayedQueues(program: ts.Program, files: readonly string[]): string[] {
  const queues: string[] = [];
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (
        ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        node.expression.name.text === 'delayedTo'
      ) {
        const [arg] = node.arguments;
        if (arg && ts.isStringLiteral(arg)) queues.push(arg.text);
        else queues.push(`(not a literal: ${arg?.getText() ?? 'no argument'})`);
      }
      ts.forEachChild(node, visit);
    };
    const source = program.getSourceFile(file);
    if (source) visit(source);
  }
  return queues;
}

interface Usage {
  readonly grants: Grant[];
  readonly problems: string[];
}

/** What a service's code uses: its SDK calls as IAM grants, plus what Lambda needs for it. */
function usedBy(service: ServiceName, program: ts.Program): Usage {
  const files = serviceFiles(service);
  const calls = sdkCallsOf(program, files, { isLibraryFile: isRepositoryLibrary, root });
  const grants: Grant[] = [];
  const problems: string[] = [];
  const because = (call: SdkCall) => `${call.owner} via ${call.via.join(' → ') || 'its own code'}`;
  const resourceOf = (call: SdkCall, action: string, onIndex: boolean): string[] | string => {
    if (action.startsWith('dynamodb:')) {
      const table = call.ownerClass ? TABLE_OF_STORE[call.ownerClass] : undefined;
      if (!table)
        return `${call.name} in ${call.owner} at ${call.site}: expected it in one of ${Object.keys(TABLE_OF_STORE).join(', ')} (add its class to TABLE_OF_STORE)`;
      return [`${onIndex ? 'table-index' : 'table'}:${table}`];
    }
    if (action === 'sqs:SendMessage') {
      // Invalid messages go to the consumed queue's DLQ; backoff re-delivers to a named queue.
      if (call.owner === 'createMessageHandler/reject')
        return consumedQueues(service).map((q) => `dlq:${q}`);
      if (call.owner === 'Publisher.publishDelayed')
        return delayedQueues(program, files).map((q) => `queue:${q}`);
      return `${call.name} in ${call.owner} at ${call.site}: expected createMessageHandler/reject or Publisher.publishDelayed`;
    }
    return [''];
  };
  for (const call of calls) {
    const need = iamNeedOf(call);
    if (!need.ok) {
      problems.push(`${service}: ${need.problem}`);
      continue;
    }
    for (const action of need.actions) {
      const resources = resourceOf(call, action, need.onIndex === true);
      if (typeof resources === 'string') {
        problems.push(`${service}: ${resources}`);
        continue;
      }
      if (resources.length === 0)
        problems.push(`${service}: ${action} in ${call.owner} at ${call.site} names no resource`);
      for (const resource of resources)
        grants.push({ action, ...(resource ? { resource } : {}), because: because(call) });
    }
  }
  // Lambda's event source mapping polls, deletes and extends messages of the
  // consumed queue with the function's own role; the handler never calls
  // these APIs, but without them the function receives nothing.
  for (const queue of consumedQueues(service)) {
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    ])
      grants.push({
        action,
        resource: `queue:${queue}`,
        because: `event source of queue ${queue}`,
      });
  }
  return { grants, problems };
}

// Resources are compared where the code says which one: tables by store,
// queues by handler and delayedTo. Topics, parameters and EC2 are compared
// by action only (their names come from message types and the environment).
const BY_RESOURCE = (action: string) => action.startsWith('dynamodb:') || action.startsWith('sqs:');

describe('IAM grants match what each service calls', () => {
  let program: ts.Program;
  beforeAll(() => {
    program = repositoryProgram(root, ServiceNames.flatMap(serviceFiles));
  }, 60_000);

  it.each(ServiceNames)(
    '%s: granted == used, by action and by table/queue',
    (service) => {
      const used = usedBy(service, program);
      expect(used.problems, `${service}: SDK calls the check cannot map`).toEqual([]);
      expect(compareGrants(service, grantedTo(service), used.grants, BY_RESOURCE)).toEqual([]);
    },
    30_000,
  );

  it('sees what a service reaches only through what it references', () => {
    // Every service builds an Ec2Fleet and a ServiceContext; only the
    // provisioner launches, and the spot listener never runs a dedup step.
    const actions = (s: ServiceName) => new Set(usedBy(s, program).grants.map((g) => g.action));
    const launching = ServiceNames.filter((s) => actions(s).has('ec2:RunInstances'));
    expect(launching).toEqual(['provisioner']);
    expect(actions('spot-listener').has('dynamodb:PutItem')).toBe(false);
    expect(actions('join-verifier').has('dynamodb:PutItem')).toBe(true);
  }, 30_000);
});

// Parameters are granted by name from the environment the function gets, so
// the environment and the grant are compared here: each Kubernetes user is
// told to read the token its policy allows, and may read no other token.
describe('the Kubernetes token each function reads is the one it is granted', () => {
  const prefix = 'smartscale-prod';
  const settings = readDeploySettings(
    {
      SMARTSCALE_CLUSTER_ID: 'prod',
      SMARTSCALE_PROMETHEUS_URL: 'http://10.0.1.10:30090',
      SMARTSCALE_KUBE_API_URL: 'https://10.0.1.10:6443',
      SMARTSCALE_LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
      SMARTSCALE_LAUNCH_TEMPLATE_VERSION: '1',
      SMARTSCALE_WORKER_ROLE_NAME: 'smartscale-worker',
      SMARTSCALE_SUBNET_IDS: 'subnet-0123456789abcdef0',
      SMARTSCALE_SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
      SMARTSCALE_ZONES: 'eu-west-1a',
      SMARTSCALE_CONFIG_FILE: 'policy.json',
    },
    () => '{}',
  );
  const tokens = Object.values(kubeIdentities).map((i) => i.parameter as ParameterName);
  const readable = (service: ServiceName) =>
    (topology.permissions[service] as readonly PermissionSpec[])
      .filter((p) => p.actions.includes('ssm:GetParameter') && p.resource.kind === 'parameter')
      .map((p) => (p.resource as { name: ParameterName }).name);

  it.each(ServiceNames)('%s', (service) => {
    const env = functionEnvironment(prefix, settings, '{}', service);
    const granted = readable(service).filter((name) => tokens.includes(name));
    expect(granted.length, 'token parameters granted').toBeLessThanOrEqual(1);
    expect(env.SMARTSCALE_KUBE_TOKEN_PARAMETER).toBe(
      granted[0] ? names.parameter(prefix, granted[0]) : undefined,
    );
  });

  it('the sampler cannot read the writer token', () => {
    expect(readable('sampler')).not.toContain('kubeTokenWriter');
    expect(readable('sampler')).toContain('kubeTokenReader');
    expect(readable('drainer')).toContain('kubeTokenWriter');
  });
});

// A tiny repository in memory, to show the analyser and the comparison can fail.
const FILES: Record<string, string> = {
  '/virtual/package.json': '{ "type": "module" }',
  '/virtual/node_modules/@aws-sdk/client-sqs/package.json':
    '{ "name": "@aws-sdk/client-sqs", "type": "module", "types": "./index.d.ts" }',
  '/virtual/node_modules/@aws-sdk/client-sqs/index.d.ts': `
    export declare class SQSClient { send(command: unknown): Promise<unknown>; }
    export declare class SendMessageCommand { constructor(input: { QueueUrl: string }); }
    export declare class PurgeQueueCommand { constructor(input: { QueueUrl: string }); }
    export declare class DeleteMessageCommand { constructor(input: { QueueUrl: string }); }`,
  '/virtual/packages/lib/src/context.ts': `
    import { DeleteMessageCommand, PurgeQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
    export class Mailbox {
      readonly #sqs: SQSClient;
      constructor(sqs: SQSClient) { this.#sqs = sqs; }
      async post(): Promise<void> { await this.#sqs.send(new SendMessageCommand({ QueueUrl: 'q' })); }
      async discard(): Promise<void> { await this.#sqs.send(new DeleteMessageCommand({ QueueUrl: 'q' })); }
      async purge(): Promise<void> { await this.#sqs.send(new PurgeQueueCommand({ QueueUrl: 'q' })); }
    }
    export interface Context { notify(): Promise<void>; wipe(): Promise<void>; }
    export function createContext(sqs: SQSClient): Context {
      const mailbox = new Mailbox(sqs);
      return { notify: () => mailbox.post(), wipe: () => mailbox.purge() };
    }`,
  '/virtual/services/poster/handler.ts': `
    import { SQSClient } from '@aws-sdk/client-sqs';
    import { createContext } from '../../packages/lib/src/context.ts';
    const ctx = createContext(new SQSClient());
    export const handler = () => ctx.notify();`,
  '/virtual/services/wiper/handler.ts': `
    import { SQSClient } from '@aws-sdk/client-sqs';
    import { createContext } from '../../packages/lib/src/context.ts';
    export const handler = () => createContext(new SQSClient()).wipe();`,
};

function inMemoryProgram(roots: readonly string[]): ts.Program {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const real = { getSourceFile: host.getSourceFile, fileExists: host.fileExists };
  host.getSourceFile = (name, language, ...rest) => {
    const text = FILES[name];
    return text === undefined
      ? real.getSourceFile(name, language, ...rest)
      : ts.createSourceFile(name, text, language);
  };
  host.fileExists = (name) => name in FILES || real.fileExists(name);
  host.readFile = (name) => FILES[name] ?? ts.sys.readFile(name);
  host.directoryExists = (dir) =>
    Object.keys(FILES).some((f) => f.startsWith(`${dir}/`)) || ts.sys.directoryExists(dir);
  return ts.createProgram({ rootNames: [...roots], options, host });
}

describe('the usage analyser on a synthetic service', () => {
  const files = ['/virtual/services/poster/handler.ts', '/virtual/services/wiper/handler.ts'];
  const program = inMemoryProgram(files);
  const options = {
    isLibraryFile: (f: string) => f.startsWith('/virtual/packages/'),
    root: '/virtual',
  };
  const used = (file: string): Grant[] =>
    sdkCallsOf(program, [file], options).flatMap((call) => {
      const need = iamNeedOf(call);
      if (!need.ok) throw new Error(need.problem);
      return need.actions.map((action) => ({
        action,
        because: `${call.owner} via ${call.via.join(' → ')}`,
      }));
    });

  it('finds the call behind an interface member and none behind unused methods', () => {
    const calls = sdkCallsOf(program, [files[0] as string], options);
    expect(calls.map((c) => [c.name, c.owner, c.via])).toEqual([
      [
        'SendMessageCommand',
        'Mailbox.post',
        ['ctx.notify (services/poster/handler.ts:5)', 'createContext().notify', 'Mailbox.post'],
      ],
    ]);
  });

  it('reports a grant the code never uses and a call that is not granted', () => {
    const poster = used(files[0] as string);
    expect(
      compareGrants(
        'poster',
        [{ action: 'sqs:SendMessage' }, { action: 'sqs:DeleteMessage' }],
        poster,
      ),
    ).toEqual(['poster is granted sqs:DeleteMessage but never calls it']);
    expect(compareGrants('poster', [], poster)).toEqual([
      'poster calls sqs:SendMessage (Mailbox.post via ctx.notify (services/poster/handler.ts:5) → createContext().notify → Mailbox.post) but is not granted it',
    ]);
    expect(compareGrants('poster', [{ action: 'sqs:SendMessage' }], poster)).toEqual([]);
  });

  it('reports a grant on the wrong resource where resources are compared', () => {
    const granted = [{ action: 'sqs:SendMessage', resource: 'queue:a' }];
    const calls = [{ action: 'sqs:SendMessage', resource: 'queue:b', because: 'x' }];
    expect(compareGrants('poster', granted, calls, (a) => a.startsWith('sqs:'))).toEqual([
      'poster is granted sqs:SendMessage on queue:a but never uses it there',
      'poster calls sqs:SendMessage on queue:b (x) but is not granted it there',
    ]);
  });

  it('refuses an SDK command it has no IAM mapping for, naming it', () => {
    expect(() => used(files[1] as string)).toThrow(
      /PurgeQueueCommand \(@aws-sdk\/client-sqs\) in Mailbox.purge at packages\/lib\/src\/context.ts:8: no IAM mapping/,
    );
  });
});
