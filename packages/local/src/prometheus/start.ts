import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, ProcessGroup } from '../cluster/processes.ts';
import { log } from '../cluster/progress.ts';
import { ensurePrometheus } from './install.ts';

/** One scrape job: `targets` are `127.0.0.1:port` addresses. */
export interface ScrapeJob {
  job: string;
  targets: string[];
  /** Keep the exporter's own `instance` labels (one exporter speaking for many nodes). */
  honorLabels?: boolean;
  /**
   * Labels of single targets, by target (e.g. `node` naming the Node an
   * exporter runs on, as kubernetes_sd relabelling gives it in a cluster):
   * they land on every series of that target, `up` included.
   */
  targetLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A running Prometheus. */
export interface LocalPrometheus {
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  /** Stops exactly the Prometheus this call started and removes its data. */
  stop(): Promise<void>;
}

/** The prometheus.yml for `jobs`, scraping every `intervalSeconds`. */
export function prometheusConfig(jobs: ScrapeJob[], intervalSeconds: number): string {
  const lines = [
    'global:',
    `  scrape_interval: ${intervalSeconds}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    'scrape_configs:',
  ];
  for (const job of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job.job)}`);
    if (job.honorLabels) lines.push('    honor_labels: true');
    lines.push('    static_configs:');
    const labelled = job.targetLabels ?? {};
    const plain = job.targets.filter((t) => labelled[t] === undefined);
    if (plain.length > 0 || job.targets.length === 0)
      lines.push(`      - targets: ${JSON.stringify(plain)}`);
    for (const target of job.targets.filter((t) => labelled[t] !== undefined)) {
      lines.push(`      - targets: ${JSON.stringify([target])}`, '        labels:');
      for (const [name, value] of Object.entries(labelled[target] ?? {}))
        lines.push(`          ${name}: ${JSON.stringify(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Starts Debian's Prometheus on a free 127.0.0.1 port with a temporary TSDB,
 * scraping `jobs`, and waits until it is ready.
 *
 * @example
 * const prometheus = await startPrometheus({ jobs: [{ job: 'load', targets: ['127.0.0.1:9100'] }] });
 * await prometheus.stop();
 */
export async function startPrometheus(options: {
  jobs: ScrapeJob[];
  intervalSeconds?: number;
  readyTimeoutMs?: number;
}): Promise<LocalPrometheus> {
  const binary = ensurePrometheus();
  const dataDir = mkdtempSync(join(tmpdir(), 'smartscale-prometheus-'));
  mkdirSync(join(dataDir, 'tsdb'));
  const config = join(dataDir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(options.jobs, options.intervalSeconds ?? 1));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  const group = new ProcessGroup({ cleanupSync: removeData });
  const stop = async () => {
    await group.stop();
    removeData();
  };
  log(`starting prometheus on ${url}`);
  group.start(
    'prometheus',
    binary,
    [
      `--config.file=${config}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      '--storage.tsdb.retention.time=2h',
      '--log.level=warn',
    ],
    join(dataDir, 'prometheus.log'),
  );
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  try {
    for (;;) {
      group.assertRunning();
      try {
        const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) break;
      } catch {}
      if (Date.now() > deadline)
        throw new Error(`prometheus not ready at ${url} in time; log in ${dataDir}`);
      await sleep(200);
    }
  } catch (error) {
    await group.stop();
    throw error;
  }
  return { url, dataDir, stop };
}
