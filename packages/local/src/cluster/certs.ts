import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files of the local cluster's PKI, all under one folder. */
export interface ClusterPki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** Client certificates by identity name (`admin`, `controller-manager`, ...). */
  clients: Record<ClientIdentity, { cert: string; key: string }>;
}

/** Who talks to the API server with a client certificate, and as which user/group. */
export const CLIENT_IDENTITIES = {
  admin: { cn: 'smartscale-local-admin', org: 'system:masters' },
  'controller-manager': { cn: 'system:kube-controller-manager', org: '' },
  scheduler: { cn: 'system:kube-scheduler', org: '' },
  kwok: { cn: 'smartscale-local-kwok', org: 'system:masters' },
} as const;

export type ClientIdentity = keyof typeof CLIENT_IDENTITIES;

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed in ${cwd}: ${stderr.trim()}`);
  }
}

function newKey(dir: string, name: string): string {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  return join(dir, `${name}.key`);
}

function signed(
  dir: string,
  name: string,
  subject: string,
  extensions: string[],
): { cert: string; key: string } {
  const key = newKey(dir, name);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  return { cert: join(dir, `${name}.crt`), key };
}

/**
 * Makes a throwaway CA, the API server's serving certificate for 127.0.0.1,
 * service-account signing keys and one client certificate per component,
 * with the openssl command-line tool.
 */
export function createClusterPki(dir: string): ClusterPki {
  newKey(dir, 'ca');
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      '/CN=smartscale-local-ca',
      '-days',
      '30',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out',
      'ca.crt',
    ],
    dir,
  );
  const apiserver = signed(dir, 'apiserver', '/CN=kube-apiserver', [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1',
  ]);
  openssl(
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key'],
    dir,
  );
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], dir);
  const clients = {} as ClusterPki['clients'];
  for (const [name, who] of Object.entries(CLIENT_IDENTITIES) as [
    ClientIdentity,
    { cn: string; org: string },
  ][]) {
    clients[name] = signed(
      dir,
      `client-${name}`,
      who.org ? `/O=${who.org}/CN=${who.cn}` : `/CN=${who.cn}`,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=clientAuth',
      ],
    );
  }
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
    clients,
  };
}

/** A kubeconfig for one user, verifying the server against the cluster CA. */
export function kubeconfigYaml(options: {
  server: string;
  caCert: string;
  user: { clientCert: string; clientKey: string } | { token: string };
  name?: string;
}): string {
  const name = options.name ?? 'smartscale-local';
  const user =
    'token' in options.user
      ? [`    token: ${options.user.token}`]
      : [
          `    client-certificate: ${options.user.clientCert}`,
          `    client-key: ${options.user.clientKey}`,
        ];
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${name}`,
    '  cluster:',
    `    server: ${options.server}`,
    `    certificate-authority: ${options.caCert}`,
    'users:',
    `- name: ${name}`,
    '  user:',
    ...user,
    'contexts:',
    `- name: ${name}`,
    '  context:',
    `    cluster: ${name}`,
    `    user: ${name}`,
    `current-context: ${name}`,
    '',
  ].join('\n');
}
