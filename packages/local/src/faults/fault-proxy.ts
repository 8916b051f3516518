// A small HTTP(S) proxy in front of a real server (moto, the API server,
// Prometheus) that forwards every request untouched until a fault rule is
// switched on; then the matching requests are delayed, answered with an
// error, left hanging or reset. The services talk to the proxy as they
// would to the server, so a fault is what they meet on the wire, with no
// component replaced. The soak owns the proxy and flips the rules in-process.
import {
  createServer as createHttpServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttpsServer,
  Agent as HttpsAgent,
  request as httpsRequest,
} from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** A request as a rule sees it: the body is read whole first (requests here are small). */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What a rule does to a request it matches. */
export type FaultAction =
  /** Answer in the server's place (an error, a throttle). */
  | {
      readonly kind: 'respond';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body: string;
    }
  /** Forward after `ms` (a slow server). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Destroy the connection at once (a server that is down). */
  | { readonly kind: 'reset' }
  /** Answer nothing for `ms`, then drop the connection (a timeout). */
  | { readonly kind: 'hang'; readonly ms: number };

export interface FaultRule {
  /** For the hit counts and the report, e.g. `ec2-throttle`. */
  readonly name: string;
  /** The action for `request`, or null to let it through. */
  decide(request: ProxiedRequest): FaultAction | null;
}

export interface FaultProxy {
  /** Where clients should connect instead of the target, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Requests each rule acted on, by rule name. */
  readonly hits: Readonly<Record<string, number>>;
  /** Switches a rule on; the returned function switches it off again. */
  add(rule: FaultRule): () => void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The real server, e.g. `http://127.0.0.1:5000` or `https://127.0.0.1:6443`. */
  readonly target: string;
  /** Serve TLS with this certificate (PEM), for clients that verify the target's. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** CA (PEM) to verify an https target with. */
  readonly targetCa?: string;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Starts a proxy on 127.0.0.1 (a free port) in front of `options.target`.
 *
 * @example
 * const proxy = await startFaultProxy({ target: moto.endpoint });
 * const off = proxy.add({ name: 'slow', decide: () => ({ kind: 'delay', ms: 2000 }) });
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const secureTarget = target.protocol === 'https:';
  const agent = secureTarget
    ? new HttpsAgent({ keepAlive: true, ...(options.targetCa ? { ca: options.targetCa } : {}) })
    : new HttpAgent({ keepAlive: true });
  const rules = new Set<FaultRule>();
  const hits: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const headers = { ...req.headers, host: target.host };
    const upstream = (secureTarget ? httpsRequest : httpRequest)(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(answer.statusCode ?? 502, out);
        // Watches stream for minutes: piped, never buffered.
        answer.pipe(res);
        res.on('close', () => answer.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('close', () => {
      if (!res.writableEnded) upstream.destroy();
    });
    upstream.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req).catch(() => null);
    if (body === null) return res.destroy();
    const seen: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
    };
    let action: FaultAction | null = null;
    for (const rule of rules) {
      action = rule.decide(seen);
      if (action) {
        hits[rule.name] = (hits[rule.name] ?? 0) + 1;
        break;
      }
    }
    if (!action) return forward(req, res, body);
    switch (action.kind) {
      case 'respond':
        res.writeHead(action.status, {
          'content-length': Buffer.byteLength(action.body),
          ...action.headers,
        });
        res.end(action.body);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
      case 'delay': {
        const { kind, ms } = action;
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (kind === 'hang') req.socket.destroy();
          else forward(req, res, body);
        }, ms);
        timers.add(timer);
        return;
      }
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch(() => res.destroy());
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits,
    add(rule) {
      rules.add(rule);
      return () => {
        rules.delete(rule);
      };
    },
    async close() {
      rules.clear();
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
