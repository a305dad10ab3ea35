import { WritClientError } from './errors.ts';
import { type SessionTiming, scheduleFrom, scheduleUntil } from './refresh-schedule.ts';
import { readBodyGrant } from './service-responses.ts';
import type { SessionTransport } from './session-transport.ts';
import type { StoredSession, TokenStore } from './token-store.ts';

/** Body mode: the client itself holds both tokens (in memory, or in the app's `TokenStore`). */
export interface BodySession extends SessionTiming {
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly accessToken: string;
  readonly refreshToken: string;
}

const json = { 'content-type': 'application/json' } as const;

async function storeCall<T>(call: () => T | Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    // The store's own error may quote what it was given; it stays out of ours.
    throw new WritClientError('token_store_failed');
  }
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false;
  const { accessToken, refreshToken, expiresAt, tokenType } = value as Record<string, unknown>;
  return (
    (tokenType === undefined || tokenType === 'Bearer' || tokenType === 'DPoP') &&
    typeof accessToken === 'string' &&
    accessToken !== '' &&
    typeof refreshToken === 'string' &&
    refreshToken !== '' &&
    typeof expiresAt === 'number' &&
    Number.isFinite(expiresAt)
  );
}

export function bodyTransport(
  store: TokenStore | undefined,
  leewaySec: number,
  dpop: boolean,
): SessionTransport<BodySession> {
  return {
    mode: 'body',
    credentials: undefined,
    recoversByRenewing: false,
    // One process holds one body-mode session; there are no tabs to coordinate.
    renewLockName: undefined,
    signInBody: (email, password) => JSON.stringify({ email, password, mode: 'body' }),
    renewRequest: (session) =>
      session === undefined
        ? undefined
        : {
            method: 'POST',
            headers: json,
            body: JSON.stringify({ refresh_token: session.refreshToken }),
          },
    readGrant(answer, receivedAt) {
      const grant = readBodyGrant(answer);
      // A bound token cannot be used without the key: a client without DPoP cannot take one.
      if (grant.tokenType === 'DPoP' && !dpop) throw new WritClientError('invalid_response');
      return {
        tokenType: grant.tokenType,
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken,
        ...scheduleFrom(receivedAt, grant.expiresInSec, leewaySec),
      };
    },
    authorize(session, headers) {
      headers.set('authorization', `${session.tokenType} ${session.accessToken}`);
    },
    dpopBoundToken: (session) => (session.tokenType === 'DPoP' ? session.accessToken : undefined),
    persists: store !== undefined,
    async load() {
      if (store === undefined) return undefined;
      const saved = await storeCall(() => store.load());
      if (saved === undefined || saved === null) return undefined;
      if (!isStoredSession(saved)) throw new WritClientError('token_store_failed');
      return {
        tokenType: saved.tokenType ?? 'Bearer',
        accessToken: saved.accessToken,
        refreshToken: saved.refreshToken,
        ...scheduleUntil(saved.expiresAt, leewaySec),
      };
    },
    async save(session) {
      if (store === undefined) return;
      const { accessToken, refreshToken, expiresAt, tokenType } = session;
      await storeCall(() =>
        store.save(
          tokenType === 'DPoP'
            ? { accessToken, refreshToken, expiresAt, tokenType }
            : { accessToken, refreshToken, expiresAt },
        ),
      );
    },
    async clear() {
      if (store !== undefined) await storeCall(() => store.clear());
    },
  };
}
