// What a K3s server publishes in SSM after docs/deploy.md section 1
// (k3s/server-install.sh, k3s/store-kube-tokens.sh and the CA upload), done
// for the local control plane, so the local environment holds the same
// parameters a deployed stage does and `smartscale doctor` can read them.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { type AwsClients, createAwsClients, localAwsOptions, Parameters } from '@smartscale/aws';
import { KubeIdentities, type KubeIdentity, kubeIdentities, names } from '@smartscale/stacks';
import type { EnvPart, RunningPart } from '../env.ts';

/** The local control plane's files the parameters come from. */
export interface ServerFiles {
  /** A kubeconfig per identity, each holding that ServiceAccount's bound token. */
  readonly kubeconfigs: Readonly<Record<KubeIdentity, string>>;
  /** The API server's CA certificate (PEM). */
  readonly caCert: string;
}

/**
 * Writes the join token, each identity's token and the CA under `prefix`,
 * as the server's instance role does (stacks/iam.ts serverInstanceIam):
 * tokens as SecureStrings without a trailing newline, the CA as a String.
 * The join token is a fresh random one in K3s's agent-token shape: kwok
 * plays the kubelets, so nothing joins with it. Returns the names written.
 *
 * @example
 * await publishServerParameters(clients.ssm, 'smartscale-local', cluster);
 */
export async function publishServerParameters(
  ssm: AwsClients['ssm'],
  prefix: string,
  files: ServerFiles,
): Promise<string[]> {
  const written: string[] = [];
  const parameters = new Parameters({ ssm });
  const put = async (name: string, value: string, type: 'String' | 'SecureString') => {
    await (type === 'String'
      ? parameters.putString(name, value)
      : parameters.putSecure(name, value));
    written.push(name);
  };
  await put(
    names.parameter(prefix, 'joinToken'),
    `K10local::node:${randomBytes(16).toString('hex')}`,
    'SecureString',
  );
  for (const id of KubeIdentities) {
    const kc = new KubeConfig();
    kc.loadFromFile(files.kubeconfigs[id]);
    const token = kc.getCurrentUser()?.token?.trim();
    if (!token)
      throw new Error(
        `kubeconfig ${files.kubeconfigs[id]} holds no token for smartscale-system/${kubeIdentities[id].serviceAccount}: expected a bearer token (cluster/start.ts writes one per identity)`,
      );
    await put(names.parameter(prefix, kubeIdentities[id].parameter), token, 'SecureString');
  }
  await put(names.parameter(prefix, 'kubeCa'), readFileSync(files.caCert, 'utf8'), 'String');
  return written;
}

/**
 * The `local:up` part after `aws` and `cluster`: publishes the server's
 * parameters into the local moto, under the aws part's prefix.
 *
 * @example
 * await startLocalEnv([awsPart(), clusterPart(), serverParametersPart()]);
 */
export function serverParametersPart(): EnvPart {
  return {
    name: 'server-parameters',
    async start(context): Promise<RunningPart> {
      const aws = context.started.get('aws')?.details as
        | { endpoint?: string; resources?: { prefix?: string } }
        | undefined;
      const cluster = context.started.get('cluster')?.details as Partial<ServerFiles> | undefined;
      const prefix = aws?.resources?.prefix;
      if (!aws?.endpoint || !prefix || !cluster?.kubeconfigs || !cluster.caCert)
        throw new Error(
          "server-parameters: expected the 'aws' part (endpoint, resources.prefix) and the 'cluster' part (kubeconfigs, caCert) to start first",
        );
      const clients = createAwsClients(localAwsOptions(aws.endpoint));
      try {
        const written = await publishServerParameters(clients.ssm, prefix, {
          kubeconfigs: cluster.kubeconfigs,
          caCert: cluster.caCert,
        });
        return {
          name: 'server-parameters',
          summary: written.map((name) => `param  ${name} (as the K3s server writes it)`),
          details: { parameters: written },
          processes: [],
          stop: async () => {},
        };
      } finally {
        clients.destroy();
      }
    },
  };
}
