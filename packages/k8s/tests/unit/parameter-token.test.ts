// The functions' rotating Kubernetes token (issue #21): read from its
// parameter, read again before it expires and after a 401, through the
// KubeConfig every request uses. The ClusterClient's retry after a 401, on
// the real API server, is in tests/integration/token-rotation.test.ts.
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeConfigFor } from '../../src/kubeconfig.ts';
import { ParameterToken, parameterTokenOf, tokenExpiry } from '../../src/parameter-token.ts';

/** A JWT-shaped token expiring at `expSeconds` (unsigned: only the client reads it here). */
const jwt = (name: string, expSeconds: number) =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: name, exp: expSeconds })).toString('base64url')}.sig`;

/** A parameter store of one value, counting reads. */
function parameter(initial: string) {
  const store = { value: initial, reads: 0 };
  const read = async () => {
    store.reads += 1;
    return store.value;
  };
  return { store, read };
}

async function header(kc: KubeConfig): Promise<string | undefined> {
  const opts: { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts);
  return opts.headers?.Authorization;
}

describe('ParameterToken', () => {
  it('holds the token until 10 minutes before it expires, then reads the parameter again', async () => {
    let now = 1_000_000_000_000;
    const first = jwt('first', now / 1000 + 3600);
    const { store, read } = parameter(`${first}\n`);
    const token = new ParameterToken('/p/reader-token', read, { now: () => now });
    expect(await token.current()).toBe(first);
    store.value = jwt('second', now / 1000 + 86_400);
    now += 49 * 60_000;
    expect(await token.current()).toBe(first);
    expect(store.reads).toBe(1);
    now += 2 * 60_000; // 9 minutes left
    expect(await token.current()).toBe(store.value);
    expect(store.reads).toBe(2);
  });

  it('re-reads a short-lived token halfway to its expiry, not on every request', async () => {
    let now = 1_000_000_000_000;
    const { store, read } = parameter(jwt('short', now / 1000 + 600));
    const token = new ParameterToken('/p/t', read, { now: () => now });
    await token.current();
    now += 4 * 60_000;
    await token.current();
    expect(store.reads).toBe(1);
    now += 61_000;
    await token.current();
    expect(store.reads).toBe(2);
  });

  it('after a 401 reads again, unless another request already renewed it', async () => {
    const { store, read } = parameter('old');
    const token = new ParameterToken('/p/t', read);
    await token.current();
    store.value = 'new';
    expect(await token.renew('old')).toBe(true);
    expect(token.held()).toBe('new');
    expect(store.reads).toBe(2);
    // A second request refused with 'old' finds 'new' held: no read.
    expect(await token.renew('old')).toBe(true);
    expect(store.reads).toBe(2);
    // Refused with the newest token there is: nothing to retry with.
    expect(await token.renew('new')).toBe(false);
    expect(store.reads).toBe(3);
  });

  it('shares one read between requests arriving together', async () => {
    const { store, read } = parameter('t');
    const token = new ParameterToken('/p/t', read);
    await Promise.all([token.current(), token.current(), token.current()]);
    expect(store.reads).toBe(1);
  });

  it('is what the KubeConfig sends, and tokenExpiry reads a JWT exp', async () => {
    const { store, read } = parameter(jwt('a', 2_000_000_000));
    const token = new ParameterToken('/p/t', read);
    const kc = kubeConfigFor({ server: 'https://10.0.1.10:6443', caPem: 'ca', token });
    expect(parameterTokenOf(kc)).toBe(token);
    expect(await header(kc)).toBe(`Bearer ${store.value}`);
    expect(tokenExpiry(store.value)?.toISOString()).toBe('2033-05-18T03:33:20.000Z');
    expect(tokenExpiry('not-a-jwt')).toBeNull();
    // A KubeConfig with a fixed token has none.
    expect(parameterTokenOf(new KubeConfig())).toBeUndefined();
  });
});
