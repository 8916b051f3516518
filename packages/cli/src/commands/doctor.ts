import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor } from '@smartscale/k8s';
import { kubeIdentities } from '@smartscale/stacks';
import { parseCommandArgs } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import {
  checkKubernetes,
  checkLaunchTemplate,
  checkParameters,
  checkPlannedResources,
  checkPrometheus,
  checkReconciler,
  checkSubnets,
  checkWorkerSecurityGroups,
  type DoctorFinding,
  forLocalEnvironment,
  type KubeAccessForDoctor,
  TOKEN_WARNING_HOURS,
} from '../doctor.js';
import {
  checkFunctionEnvironments,
  checkLambdaConcurrency,
  checkPinnedLaunchTemplateVersion,
  checkSpotServiceLinkedRole,
  checkVcpuQuotas,
  createAccountClients,
} from '../doctor-account.js';
import { checkQueueDelivery } from '../doctor-delivery.js';
import { checkNodeExporters } from '../doctor-exporters.js';
import { checkWorkerImage } from '../doctor-image.js';
import { formatTable } from '../table.js';

const usage = `usage: smartscale doctor [options]

Checks a deployment from the outside and prints one line per check: ok,
problem or warning, with what to do. Exit 1 when any check finds a problem.
Settings default to the environment 'sst deploy' read (docs/deploy.md).

options:
${deploymentUsage}
  --kube-api-url URL        the K3s API as the functions reach it, with the token and CA from SSM
                            (default: SMARTSCALE_KUBE_API_URL)
  --kubeconfig FILE         reach Kubernetes with this kubeconfig instead (default: the local environment's)
  --prometheus-url URL      default: SMARTSCALE_PROMETHEUS_URL
  --launch-template ID      default: SMARTSCALE_LAUNCH_TEMPLATE_ID
  --launch-template-version N  the version the provisioner launches
                            (default: SMARTSCALE_LAUNCH_TEMPLATE_VERSION)
  --reserved-concurrency N  what each of the provisioner and drainer reserves
                            (default: SMARTSCALE_RESERVED_CONCURRENCY; unset: none)
  --node-exporter-job JOB   the Prometheus job scraping node-exporter (default node-exporter)
  --promql-node-label LABEL the label naming the Node on its series
                            (default: SMARTSCALE_PROMQL_NODE_LABEL, else node)
  --server-security-group SG  the K3s server's security group, the source the workers must
                            admit 8472/udp, 10250/tcp and 9100/tcp from
  --subnets ZONE=SUBNET,... worker subnets by zone (default: SMARTSCALE_ZONES with SMARTSCALE_SUBNET_IDS)
  --reconciler-max-age SECONDS  how old the reconciler's last pass may be (default 600)
  --token-warning-hours N   warn when a Kubernetes token expires within N hours (default 12; the
                            server's timer stores 24-hour tokens every 6 hours)`;

/** A setting given as an option or else the environment variable, checked against `pattern`. */
function setting(
  option: string,
  value: string | undefined,
  variable: string,
  env: NodeJS.ProcessEnv,
  pattern: RegExp,
  expected: string,
): string | undefined {
  const fromOption = value !== undefined;
  const raw = (value ?? env[variable])?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!pattern.test(raw))
    throw new UsageError(
      `${fromOption ? `--${option}` : variable}: expected ${expected}, got '${raw}'`,
    );
  return raw;
}

/** `smartscale doctor --json`. */
export interface DoctorReport {
  readonly clusterId: string;
  readonly deployment: string;
  readonly problems: number;
  readonly warnings: number;
  readonly findings: readonly DoctorFinding[];
}

/** `--subnets zone=subnet,...`, or the deploy settings' two lists zipped. */
export function parseSubnets(
  raw: string | undefined,
  env: NodeJS.ProcessEnv,
): { zone: string; subnetId: string }[] {
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (raw !== undefined) {
    return list(raw).map((pair) => {
      const [zone, subnetId, extra] = pair.split('=');
      if (!zone || !subnetId || extra !== undefined)
        throw new UsageError(
          `--subnets: expected ZONE=SUBNET pairs separated by commas (e.g. eu-west-1a=subnet-0abc), got '${pair}'`,
        );
      return { zone, subnetId };
    });
  }
  const zones = list(env.SMARTSCALE_ZONES);
  const ids = list(env.SMARTSCALE_SUBNET_IDS);
  return ids.map((subnetId, i) => ({ zone: zones[i] ?? '(no zone)', subnetId }));
}

function render(report: DoctorReport): string {
  const rows = report.findings.map((f) => [
    f.status === 'ok' ? 'ok' : f.status === 'problem' ? 'PROBLEM' : 'warning',
    f.check,
    f.detail,
    f.fix ?? '',
  ]);
  return [
    `cluster ${report.clusterId} (${report.deployment})`,
    formatTable(['', 'check', 'found', 'what to do'], rows),
    report.problems === 0
      ? `no problems${report.warnings > 0 ? `, ${report.warnings} warning(s)` : ''}`
      : `${report.problems} problem(s), ${report.warnings} warning(s)`,
  ].join('\n');
}

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check a deployment (AWS resources, parameters, network, Kubernetes, Prometheus)',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values } = parseCommandArgs(args, {
      ...deploymentArgs,
      'kube-api-url': { type: 'string' },
      'prometheus-url': { type: 'string' },
      'launch-template': { type: 'string' },
      'server-security-group': { type: 'string' },
      subnets: { type: 'string' },
      'reconciler-max-age': { type: 'string' },
      'token-warning-hours': { type: 'string' },
      'launch-template-version': { type: 'string' },
      'reserved-concurrency': { type: 'string' },
      'node-exporter-job': { type: 'string' },
      'promql-node-label': { type: 'string' },
    });
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    const env = process.env;
    const maxAgeRaw = values['reconciler-max-age'] ?? '600';
    const maxAge = Number(maxAgeRaw);
    if (!Number.isInteger(maxAge) || maxAge <= 0)
      throw new UsageError(
        `--reconciler-max-age: expected a whole number of seconds above 0, got '${maxAgeRaw}'`,
      );
    const warningHoursRaw = values['token-warning-hours'] ?? String(TOKEN_WARNING_HOURS);
    const tokenWarningHours = Number(warningHoursRaw);
    if (!/^[1-9][0-9]{0,4}$/.test(warningHoursRaw))
      throw new UsageError(
        `--token-warning-hours: expected a whole number of hours above 0, e.g. 12, got '${warningHoursRaw}'`,
      );
    const serverGroup = values['server-security-group'];
    if (serverGroup !== undefined && !/^sg-[0-9a-f]+$/.test(serverGroup))
      throw new UsageError(
        `--server-security-group: expected a security group id like sg-0abc1234, got '${serverGroup}'`,
      );
    const subnets = parseSubnets(values.subnets, env);
    const kubeApiUrl = values['kube-api-url'] ?? env.SMARTSCALE_KUBE_API_URL;
    const prometheusUrl = values['prometheus-url'] ?? env.SMARTSCALE_PROMETHEUS_URL;
    const launchTemplateId = values['launch-template'] ?? env.SMARTSCALE_LAUNCH_TEMPLATE_ID;
    const launchTemplateVersion = setting(
      'launch-template-version',
      values['launch-template-version'],
      'SMARTSCALE_LAUNCH_TEMPLATE_VERSION',
      env,
      /^[1-9][0-9]{0,5}$/,
      'a launch template version number like 3 (not $Latest or $Default)',
    );
    const reservedRaw = setting(
      'reserved-concurrency',
      values['reserved-concurrency'],
      'SMARTSCALE_RESERVED_CONCURRENCY',
      env,
      /^(100|[1-9][0-9]?)$/,
      'a whole number 1-100 (or unset for none)',
    );
    const reservedConcurrency = reservedRaw === undefined ? null : Number(reservedRaw);
    const exporterJob = values['node-exporter-job'] ?? 'node-exporter';
    if (!/^[A-Za-z0-9_.:-]+$/.test(exporterJob))
      throw new UsageError(
        `--node-exporter-job: expected a Prometheus job name like node-exporter, got '${exporterJob}'`,
      );
    const nodeLabel =
      setting(
        'promql-node-label',
        values['promql-node-label'],
        'SMARTSCALE_PROMQL_NODE_LABEL',
        env,
        /^[a-zA-Z_][a-zA-Z0-9_]*$/,
        'a Prometheus label name like node',
      ) ?? 'node';
    const now = new Date();
    const report = await withDeployment(values, async (d) => {
      const prefix = d.resources.prefix;
      const findings: DoctorFinding[] = [];
      findings.push(...(await checkPlannedResources(d.clients, prefix, d.resources.topics)));
      findings.push(...(await checkQueueDelivery(d.clients, prefix, d.resources.topics)));
      const parameters = await checkParameters(d.clients, prefix);
      findings.push(...parameters.findings);
      const skipped = (check: string, what: string) =>
        findings.push({ check, status: 'warning', detail: 'not checked', fix: `pass ${what}` });
      if (launchTemplateId) {
        findings.push(...(await checkLaunchTemplate(d.clients, launchTemplateId)));
        if (launchTemplateVersion)
          findings.push(
            ...(await checkPinnedLaunchTemplateVersion(
              d.clients.ec2,
              launchTemplateId,
              launchTemplateVersion,
            )),
          );
        else
          skipped(
            'launch template version',
            '--launch-template-version or set SMARTSCALE_LAUNCH_TEMPLATE_VERSION',
          );
        // The image of the version the provisioner launches (the pinned one, else the default).
        findings.push(
          ...(await checkWorkerImage(
            d.clients.ec2,
            launchTemplateId,
            launchTemplateVersion,
            d.config,
            await d.clients.ec2.config.region(),
          )),
        );
        findings.push(
          ...(await checkWorkerSecurityGroups(d.clients, launchTemplateId, serverGroup)),
        );
      } else skipped('launch template', '--launch-template or set SMARTSCALE_LAUNCH_TEMPLATE_ID');
      if (subnets.length > 0) findings.push(...(await checkSubnets(d.clients, subnets)));
      else skipped('worker subnets', '--subnets or set SMARTSCALE_SUBNET_IDS and SMARTSCALE_ZONES');
      // What the account must allow (issue #22): none of it is created by sst deploy.
      const account = createAccountClients(d.awsOptions);
      try {
        const region = await d.clients.ec2.config.region();
        findings.push(...(await checkSpotServiceLinkedRole(account.iam, d.config)));
        findings.push(...(await checkVcpuQuotas(d.clients.ec2, account.quotas, d.config, region)));
        findings.push(
          ...(await checkLambdaConcurrency(account.lambda, prefix, reservedConcurrency, region)),
        );
        findings.push(...(await checkFunctionEnvironments(account.lambda, prefix)));
      } finally {
        account.destroy();
      }
      // The functions' own way in first: the token and CA from SSM.
      const access: KubeAccessForDoctor | null = kubeApiUrl
        ? { kind: 'parameters', server: kubeApiUrl, values: parameters.values }
        : d.kubeconfig
          ? { kind: 'kubeconfig', path: d.kubeconfig }
          : null;
      if (access) findings.push(...(await checkKubernetes(access, now, tokenWarningHours)));
      else skipped('kubernetes', '--kube-api-url or set SMARTSCALE_KUBE_API_URL');
      if (prometheusUrl) findings.push(...(await checkPrometheus(prometheusUrl)));
      else skipped('prometheus', '--prometheus-url or set SMARTSCALE_PROMETHEUS_URL');
      // The workers as the sampler lists them: with the reader's token, or the kubeconfig.
      const workersKc = ((): KubeConfig | null => {
        if (access?.kind === 'kubeconfig') return kubeConfigFor({ kubeconfigPath: access.path });
        const token = parameters.values[kubeIdentities.reader.parameter];
        const caPem = parameters.values.kubeCa;
        if (!access || !token || !caPem) return null;
        return kubeConfigFor({ server: access.server, caPem, token: token.trim() });
      })();
      if (prometheusUrl && workersKc)
        findings.push(
          ...(await checkNodeExporters(workersKc, prometheusUrl, exporterJob, nodeLabel)),
        );
      else
        skipped(
          'node-exporter on workers',
          'both --prometheus-url and Kubernetes access (--kube-api-url with its parameters, or --kubeconfig)',
        );
      findings.push(...(await checkReconciler(d.reconciliations, d.clusterId, now, maxAge)));
      // deployment.ts names the source so when it read the local environment's state.
      const local = d.source.startsWith('local environment');
      const checked = local ? forLocalEnvironment(findings) : findings;
      return {
        clusterId: d.clusterId,
        deployment: d.source,
        problems: checked.filter((f) => f.status === 'problem').length,
        warnings: checked.filter((f) => f.status === 'warning').length,
        findings: checked,
      } satisfies DoctorReport;
    });
    io.out(values.json ? JSON.stringify(report, null, 2) : render(report));
    return report.problems === 0 ? ExitCode.Ok : ExitCode.Failure;
  },
};
