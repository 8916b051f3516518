import { createServer, type Server } from 'node:http';

/** What one simulated node is doing right now. */
export interface NodeLoad {
  /** Busy CPU fraction, 0..1. */
  cpu: number;
  /** Used memory fraction, 0..1. */
  memory: number;
  cpus: number;
  memoryBytes: number;
}

/** Serves node-exporter metrics for many simulated nodes from one endpoint. */
export interface LoadExporter {
  /** `127.0.0.1:<port>`, to put in a scrape job with `honorLabels: true`. */
  target: string;
  close(): Promise<void>;
}

interface Counters {
  idle: number;
  busy: number;
  at: number;
}

/**
 * Reports `node_cpu_seconds_total` (modes idle and user, per CPU) and
 * `node_memory_MemAvailable_bytes` / `node_memory_MemTotal_bytes` for each
 * node returned by `loads`, labelled `instance=<node>`. CPU counters
 * integrate the busy fraction over real time between scrapes, so
 * `rate(...)` in Prometheus gives back the fractions.
 *
 * @example
 * const exporter = await startLoadExporter(() => new Map([['worker-1', { cpu: 0.8, memory: 0.5, cpus: 2, memoryBytes: 8 * 2 ** 30 }]]));
 */
export async function startLoadExporter(
  loads: () => ReadonlyMap<string, NodeLoad>,
  now: () => number = Date.now,
): Promise<LoadExporter> {
  const counters = new Map<string, Counters>();
  const render = (): string => {
    const t = now() / 1000;
    const cpuLines: string[] = [];
    const totalLines: string[] = [];
    const availableLines: string[] = [];
    for (const [node, load] of loads()) {
      const c = counters.get(node) ?? { idle: 0, busy: 0, at: t };
      const dt = Math.max(0, t - c.at);
      const busy = Math.min(Math.max(load.cpu, 0), 1);
      c.idle += (1 - busy) * dt;
      c.busy += busy * dt;
      c.at = t;
      counters.set(node, c);
      const label = JSON.stringify(node);
      for (let cpu = 0; cpu < load.cpus; cpu++) {
        cpuLines.push(
          `node_cpu_seconds_total{instance=${label},cpu="${cpu}",mode="idle"} ${c.idle.toFixed(3)}`,
        );
        cpuLines.push(
          `node_cpu_seconds_total{instance=${label},cpu="${cpu}",mode="user"} ${c.busy.toFixed(3)}`,
        );
      }
      const available = Math.round(load.memoryBytes * (1 - Math.min(Math.max(load.memory, 0), 1)));
      totalLines.push(`node_memory_MemTotal_bytes{instance=${label}} ${load.memoryBytes}`);
      availableLines.push(`node_memory_MemAvailable_bytes{instance=${label}} ${available}`);
    }
    return [
      '# TYPE node_cpu_seconds_total counter',
      ...cpuLines,
      '# TYPE node_memory_MemTotal_bytes gauge',
      ...totalLines,
      '# TYPE node_memory_MemAvailable_bytes gauge',
      ...availableLines,
      '',
    ].join('\n');
  };
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(render());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('load exporter has no address');
  return {
    target: `127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
