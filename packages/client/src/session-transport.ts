import type { ClientMode } from './options.ts';
import type { SessionTiming } from './refresh-schedule.ts';

/**
 * How one mode obtains, presents, renews and keeps its credentials. The engine around it
 * (session-keeper.ts, authorized-fetch.ts) is the same for every mode.
 *
 * Extension point: Node service-to-service `client_credentials` arrives with the OAuth endpoints
 * as a third transport. Its `renewRequest` would ask `/oauth/token` with the client's own
 * credentials (no refresh token, so `recoversByRenewing` is true and sign-in is unused), and its
 * `authorize` would set `Authorization: Bearer` like body mode.
 */
export interface SessionTransport<S extends SessionTiming> {
  readonly mode: ClientMode;
  /** `credentials` for every request that carries the session (cookie mode: `include`). */
  readonly credentials: RequestCredentials | undefined;
  /**
   * Whether a session the client does not hold yet may still exist and be recovered by renewing
   * (cookie mode after a page reload: the browser still has the cookies).
   */
  readonly recoversByRenewing: boolean;
  /** Serialises renewals across tabs under this lock name, or not at all. */
  readonly renewLockName: string | undefined;
  /** The JSON body of `POST /auth/sign-in`. */
  signInBody(email: string, password: string): string;
  /** The `POST /auth/refresh` request for `session` (undefined: recovering), if one can be made. */
  renewRequest(session: S | undefined): RequestInit | undefined;
  /** Builds the session from a successful sign-in or refresh answer received at `receivedAt`. */
  readGrant(json: unknown, receivedAt: number): S;
  /** Adds the session's credentials to an outgoing request. */
  authorize(session: S, headers: Headers, method: string): void;
  /** The access token, when the session's token is DPoP-bound and every request needs a proof. */
  dpopBoundToken(session: S): string | undefined;
  /** Whether a saved session may exist to `load`. */
  readonly persists: boolean;
  load(): Promise<S | undefined>;
  save(session: S): Promise<void>;
  clear(): Promise<void>;
}
