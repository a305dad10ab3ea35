import { withCrossTabLock } from './cross-tab-lock.ts';
import { isWritClientError, WritClientError } from './errors.ts';
import type { SessionEndReason } from './options.ts';
import type { SessionTiming } from './refresh-schedule.ts';
import { createSerialQueue } from './serial-queue.ts';
import { discard, readJson } from './service-responses.ts';
import type { SessionTransport } from './session-transport.ts';

/** Calls a token-service endpoint (`/auth/…`); network failures become `network_error`. */
export type ServiceCall = (path: string, init: RequestInit) => Promise<Response>;

/**
 * `unknown`: a session may exist that the client has not loaded yet (a saved body-mode session,
 * or cookie mode after a page reload).
 */
type State<S> =
  | { readonly phase: 'unknown' }
  | { readonly phase: 'none' }
  | { readonly phase: 'active'; readonly session: S };

export interface SessionKeeper<S extends SessionTiming> {
  readonly signedIn: boolean;
  /** Runs `task` with no refresh, sign-in or sign-out in between. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** Loads or recovers a session the client does not hold yet; whether one is now active. */
  resume(): Promise<boolean>;
  /** The session to send a request with, refreshed first when due. */
  fresh(): Promise<S>;
  /**
   * After a 401 to a request sent with `used`: the session to retry with, or undefined when there
   * is none. However many requests ask, a session is refreshed at most once.
   */
  renewAfter(used: S): Promise<S | undefined>;
  /** Whether 401s to requests sent with `session` should no longer cause refreshes. */
  refusedWhileFresh(session: S): boolean;
  markRefusedWhileFresh(session: S): void;
  /** Makes `session` the current one (inside `exclusive`). */
  adopt(session: S): Promise<void>;
  /** Forgets the session (inside `exclusive`); tells the app if one was live. */
  end(reason: SessionEndReason): Promise<void>;
}

export function createSessionKeeper<S extends SessionTiming>(
  transport: SessionTransport<S>,
  callService: ServiceCall,
  onSessionEnded: (reason: SessionEndReason) => void,
): SessionKeeper<S> {
  let state: State<S> =
    transport.recoversByRenewing || transport.persists ? { phase: 'unknown' } : { phase: 'none' };
  let renewal: Promise<S | undefined> | undefined;
  let resuming: Promise<boolean> | undefined;
  let refusedFresh: S | undefined;
  const exclusive = createSerialQueue();

  const current = (): S | undefined => (state.phase === 'active' ? state.session : undefined);

  async function adopt(session: S): Promise<void> {
    state = { phase: 'active', session };
    await transport.save(session);
  }

  async function end(reason: SessionEndReason): Promise<void> {
    const wasActive = state.phase === 'active';
    state = { phase: 'none' };
    refusedFresh = undefined;
    try {
      await transport.clear();
    } catch {
      // Stale saved tokens are harmless: the service refuses them at the next start.
    }
    if (wasActive) onSessionEnded(reason);
  }

  /** One `POST /auth/refresh`, inside `exclusive`. */
  async function renew(from: S | undefined): Promise<S | undefined> {
    // A sign-in, sign-out or renewal that ran while this one waited has already decided.
    if (current() !== from || (from === undefined && state.phase !== 'unknown')) return current();
    const request = transport.renewRequest(from);
    if (request === undefined) return undefined;
    const send = () => callService('/auth/refresh', request);
    const response = await (transport.renewLockName === undefined
      ? send()
      : withCrossTabLock(transport.renewLockName, send));
    if (response.ok) {
      const session = transport.readGrant(await readJson(response), Date.now());
      await adopt(session);
      return session;
    }
    await discard(response);
    // 401 invalid_grant: revoked, expired or reused. 400: no refresh credential at all (cookie
    // mode with no cookie) or one the service cannot even parse. Either way the session is over,
    // and it is not retried: a refused refresh token never becomes good.
    if (response.status === 401 || response.status === 400) {
      await end('refresh_rejected');
      return undefined;
    }
    throw new WritClientError('service_error', { status: response.status });
  }

  function renewShared(from: S | undefined): Promise<S | undefined> {
    renewal ??= exclusive(() => renew(from)).finally(() => {
      renewal = undefined;
    });
    return renewal;
  }

  function resume(): Promise<boolean> {
    if (state.phase !== 'unknown') return Promise.resolve(state.phase === 'active');
    resuming ??= (async () => {
      if (transport.recoversByRenewing) {
        await renewShared(undefined);
      } else {
        await exclusive(async () => {
          if (state.phase !== 'unknown') return;
          const saved = await transport.load();
          state = saved === undefined ? { phase: 'none' } : { phase: 'active', session: saved };
        });
      }
      return current() !== undefined;
    })().finally(() => {
      resuming = undefined;
    });
    return resuming;
  }

  async function fresh(): Promise<S> {
    if (state.phase === 'unknown') await resume();
    const session = current();
    if (session === undefined) throw new WritClientError('not_signed_in');
    if (Date.now() < session.refreshAt) return session;
    let renewed: S | undefined;
    try {
      renewed = await renewAfter(session);
    } catch (error) {
      // The service is unreachable or failing: a token inside its leeway is still good, so the
      // request goes ahead with it. A store failure is the app's to know about.
      const still = current();
      if (
        !isWritClientError(error, 'token_store_failed') &&
        still &&
        Date.now() < still.expiresAt
      ) {
        return still;
      }
      throw error;
    }
    if (renewed === undefined) throw new WritClientError('session_ended');
    return renewed;
  }

  function renewAfter(used: S): Promise<S | undefined> {
    if (renewal !== undefined) return renewal;
    // Already renewed (or ended) since `used` was sent: no second refresh for the same session.
    if (current() !== used) return Promise.resolve(current());
    return renewShared(used);
  }

  return {
    get signedIn() {
      return state.phase === 'active';
    },
    exclusive,
    resume,
    fresh,
    renewAfter,
    refusedWhileFresh: (session) => session === refusedFresh,
    markRefusedWhileFresh: (session) => {
      refusedFresh = session;
    },
    adopt,
    end,
  };
}
