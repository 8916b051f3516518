// The functions' Kubernetes token, read from its SSM parameter and re-read
// when it must have been replaced (issue #21). The K3s server stores a
// fresh short-lived token there every few hours (k3s/store-kube-tokens.sh
// on a systemd timer); a warm function picks it up without a redeploy:
// before the token it holds expires, and at once when the API server
// refuses it (401: revoked, or replaced by hand).

import type { KubeConfig, User } from '@kubernetes/client-node';

/** The client's authenticator interface (not exported by @kubernetes/client-node 1.4). */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The `authProvider` name of a user whose token comes from a {@link ParameterToken}. */
export const PARAMETER_TOKEN_PROVIDER = 'smartscale-parameter-token';

/** The expiry (`exp`) of a JWT ServiceAccount token, or null when it has none or is not a JWT. */
export function tokenExpiry(token: string): Date | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null;
  } catch {
    return null;
  }
}

/** Options of {@link ParameterToken}. */
export interface ParameterTokenOptions {
  /**
   * Re-read this long before the held token expires. Default 10 minutes: a
   * request never leaves with a token that could expire on the way, and the
   * server's timer stored a newer one hours earlier. A token that had less
   * than twice this left when read is re-read halfway to its expiry instead
   * (not on every request).
   */
  readonly renewBeforeMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * A bearer token held in memory and read again from its parameter when it
 * is within `renewBeforeMs` of its expiry (see the option) or when
 * {@link renew} is called after a 401. Registered on a KubeConfig as an authenticator, so every
 * request asks it for the token. Reads in flight at once are shared.
 *
 * @example
 * const token = new ParameterToken('/smartscale-prod/k3s/reader-token', ctx.readSecret);
 * await token.current(); // fails at start-up when the parameter is missing
 */
export class ParameterToken implements Authenticator {
  readonly #read: (name: string) => Promise<string>;
  readonly #renewBeforeMs: number;
  readonly #now: () => number;
  #token: string | undefined;
  /** When to read the parameter again (null: only after a 401). */
  #renewAt: number | null = null;
  #reading: Promise<string> | undefined;

  constructor(
    readonly parameter: string,
    read: (name: string) => Promise<string>,
    options: ParameterTokenOptions = {},
  ) {
    this.#read = read;
    this.#renewBeforeMs = options.renewBeforeMs ?? 10 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The token held now, without reading (undefined before the first read). */
  held(): string | undefined {
    return this.#token;
  }

  /** The token to send: the held one, or a fresh read when there is none or it is about to expire. */
  async current(): Promise<string> {
    const due = this.#renewAt !== null && this.#now() >= this.#renewAt;
    if (this.#token !== undefined && !due) return this.#token;
    return this.#reload();
  }

  /**
   * After the API server refused `refused` (401): true when a different
   * token is now held, so the request is worth sending again. Another
   * request may have renewed it already; else the parameter is read again.
   */
  async renew(refused: string | undefined): Promise<boolean> {
    if (this.#token !== undefined && this.#token !== refused) return true;
    const token = await this.#reload();
    return token !== refused;
  }

  #reload(): Promise<string> {
    this.#reading ??= (async () => {
      try {
        // `kubectl create token ... > file` ends with a newline, and a token
        // stored from that file would make every request a 401 (issue #22).
        const token = (await this.#read(this.parameter)).replace(/\s+$/, '');
        const now = this.#now();
        const expiresAt = tokenExpiry(token)?.getTime();
        this.#token = token;
        this.#renewAt =
          expiresAt === undefined
            ? null
            : expiresAt - Math.min(this.#renewBeforeMs, Math.max(0, expiresAt - now) / 2);
        return token;
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  isAuthProvider(user: User): boolean {
    const provider = user.authProvider as
      | { name?: string; config?: { parameter?: string } }
      | undefined;
    return (
      provider?.name === PARAMETER_TOKEN_PROVIDER && provider.config?.parameter === this.parameter
    );
  }

  async applyAuthentication(
    _user: User,
    opts: { headers?: Record<string, unknown> | undefined },
  ): Promise<void> {
    const token = await this.current();
    opts.headers ??= {};
    opts.headers.Authorization = `Bearer ${token}`;
  }
}

/** The token a KubeConfig's requests carry, by KubeConfig, for the 401 retry in ClusterClient. */
const tokensOf = new WeakMap<KubeConfig, ParameterToken>();

/** Makes `kc` send `token` (re-read as it rotates) as its current user's bearer token. */
export function useParameterToken(kc: KubeConfig, token: ParameterToken): void {
  kc.addAuthenticator(token);
  tokensOf.set(kc, token);
}

/** The rotating token behind `kc`, if its user has one. */
export function parameterTokenOf(kc: KubeConfig): ParameterToken | undefined {
  return tokensOf.get(kc);
}
