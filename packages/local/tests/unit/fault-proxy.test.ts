import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../src/faults/fault-proxy.ts';

// A plain HTTP server stands for moto/Prometheus: the proxy is checked on
// the wire, with the bytes a client gets.
let upstream: Server;
let proxy: FaultProxy;
const seen: string[] = [];

function call(path: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${proxy.url}${path}`, { method: 'POST' }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push(`${req.url} ${body}`);
      res.end(`upstream got ${body}`);
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  proxy = await startFaultProxy({
    target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
  });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => upstream.close(r));
});

describe('the fault proxy', () => {
  it('forwards untouched while no rule is on', async () => {
    expect(await call('/a', 'Action=X')).toEqual({ status: 200, body: 'upstream got Action=X' });
    expect(seen).toContain('/a Action=X');
  });

  it('answers in place of the server while a rule matches, and forwards again once it is off', async () => {
    const off = proxy.add({
      name: 'refuse-x',
      decide: (r) =>
        r.body.toString() === 'Action=X'
          ? { kind: 'respond', status: 503, body: 'slow down' }
          : null,
    });
    expect(await call('/b', 'Action=X')).toEqual({ status: 503, body: 'slow down' });
    expect(await call('/b', 'Action=Y')).toEqual({ status: 200, body: 'upstream got Action=Y' });
    expect(seen).not.toContain('/b Action=X');
    expect(proxy.hits['refuse-x']).toBe(1);
    off();
    expect((await call('/b', 'Action=X')).status).toBe(200);
  });

  it('delays, and resets the connection (a server that is down)', async () => {
    const offDelay = proxy.add({ name: 'slow', decide: () => ({ kind: 'delay', ms: 300 }) });
    const started = Date.now();
    expect((await call('/c', 'slow')).body).toBe('upstream got slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    offDelay();
    const offDown = proxy.add({ name: 'down', decide: () => ({ kind: 'reset' }) });
    await expect(call('/d', 'down')).rejects.toThrow(/socket hang up|ECONNRESET/);
    offDown();
    expect((await call('/d', 'up')).status).toBe(200);
  });
});
