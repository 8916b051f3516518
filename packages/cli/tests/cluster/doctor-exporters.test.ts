// The doctor's node-exporter line (issue #22) live: Ready kwok workers on
// the real API server, listed with the reader's token as the doctor lists
// them, against a real Prometheus scraping node-exporter targets labelled
// with their Node (as monitoring.yaml's relabelling names them). One
// worker's exporter answers, one's target is down (nothing listens), one
// has no target at all. Other test files' workers share the API server, so
// the assertions are about these three; names start with "0-" so they sort
// first among the (at most 10) workers the line names.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  adminClients,
  createKwokNode,
  eventually,
  uniqueGroup,
} from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../../local/src/aws/moto-server.ts';
import {
  type LoadExporter,
  startLoadExporter,
} from '../../../local/src/prometheus/load-exporter.ts';
import { type LocalPrometheus, startPrometheus } from '../../../local/src/prometheus/start.ts';
import { checkNodeExporters } from '../../src/doctor-exporters.js';

const { core } = adminClients();
const group = uniqueGroup('nexp');
const worker = {
  reporting: `0-${group}-reporting`,
  down: `0-${group}-down`,
  silent: `0-${group}-silent`,
};
let exporter: LoadExporter;
let prometheus: LocalPrometheus;
const readerKc = new KubeConfig();

beforeAll(async () => {
  readerKc.loadFromFile(inject('cluster').kubeconfigs.reader);
  for (const name of Object.values(worker)) await createKwokNode(core, { name, group });
  await eventually('the three workers Ready', async () => {
    const nodes = await readerKc.makeApiClient(CoreV1Api).listNode({
      labelSelector: `smartscale.test/group=${group}`,
    });
    return (
      nodes.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length === 3
    );
  });
  exporter = await startLoadExporter(
    () =>
      new Map([[worker.reporting, { cpu: 0.2, memory: 0.3, cpus: 2, memoryBytes: 4 * 2 ** 30 }]]),
  );
  const closed = `127.0.0.1:${await freePort()}`;
  prometheus = await startPrometheus({
    jobs: [
      {
        job: 'node-exporter',
        targets: [exporter.target, closed],
        targetLabels: {
          [exporter.target]: { node: worker.reporting },
          [closed]: { node: worker.down },
        },
      },
    ],
  });
  // Both targets scraped once: up is 1 for one, 0 for the other.
  await eventually('both node-exporter targets scraped', async () => {
    const res = await fetch(
      `${prometheus.url}/api/v1/query?query=${encodeURIComponent('up{job="node-exporter"}')}`,
    );
    const body = (await res.json()) as { data?: { result?: unknown[] } };
    return (body.data?.result?.length ?? 0) === 2;
  });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await exporter?.close();
  for (const name of Object.values(worker)) await core.deleteNode({ name }).catch(() => undefined);
});

describe('node-exporter on workers, live', () => {
  it('names the workers whose node-exporter does not report, and not the one that does', async () => {
    const [found] = await checkNodeExporters(readerKc, prometheus.url, 'node-exporter', 'node');
    expect(found?.check).toBe('node-exporter on workers');
    expect(found?.status).toBe('problem');
    // The target that is down and the worker Prometheus has no target for.
    expect(found?.detail).toContain(worker.down);
    expect(found?.detail).toContain(worker.silent);
    expect(found?.detail).not.toContain(worker.reporting);
    expect(found?.detail).toMatch(/^no reporting node-exporter on \d+ of \d+ Ready worker\(s\)/);
    expect(found?.fix).toContain('9100/tcp');
  });

  it('warns instead when the series carry no label naming the Node', async () => {
    const [found] = await checkNodeExporters(readerKc, prometheus.url, 'node-exporter', 'nodename');
    expect(found?.status).toBe('warning');
    expect(found?.detail).toContain('carry no nodename label');
  });
});
