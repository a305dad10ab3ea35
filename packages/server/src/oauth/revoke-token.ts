import type { RevocationEntry } from '@writ/core';
import type { ClientRecord } from '../clients/client-record.ts';
import { hashSecret } from '../platform/crypto/random.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { findRefreshToken } from '../refresh-tokens/find-refresh-token.ts';
import { appendRevocations } from '../revocation/append-revocations.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import { revokeSessions } from '../sessions/revoke-sessions.ts';
import { phantomTokenPrefix } from './mint-access-token.ts';
import type { OAuthContext } from './oauth-context.ts';
import type { OwnAccessToken } from './own-access-token.ts';

export type RevokedKind = 'access_token' | 'refresh_token' | 'nothing';

/**
 * RFC 7009 revocation by the client the token was issued to. A refresh token ends its session
 * (the family, and through the session's `sid` entry every access token of it); an access token
 * gets a `jti` entry in the revocation log, which every mirror and introspection honour. A token
 * that is unknown, already dead, or another client's is left alone and answered the same way
 * (RFC 7009 §2.2: 200 either way), so revocation tells no client whether a token exists.
 */
export async function revokeToken(
  context: OAuthContext,
  readAccessToken: (token: string, nowMs: number) => Promise<OwnAccessToken | undefined>,
  caller: ClientRecord,
  token: string,
  hint: string | undefined,
  origin: RequestOrigin,
): Promise<RevokedKind> {
  if (hint === 'refresh_token') {
    return (
      (await revokeRefreshToken(context, caller, token, origin)) ??
      (await revokeAccessToken(context, readAccessToken, caller, token)) ??
      'nothing'
    );
  }
  return (
    (await revokeAccessToken(context, readAccessToken, caller, token)) ??
    (await revokeRefreshToken(context, caller, token, origin)) ??
    'nothing'
  );
}

async function revokeAccessToken(
  context: OAuthContext,
  readAccessToken: (token: string, nowMs: number) => Promise<OwnAccessToken | undefined>,
  caller: ClientRecord,
  token: string,
): Promise<RevokedKind | undefined> {
  const nowMs = context.clock.nowMs();
  let jwt = token;
  if (token.startsWith(phantomTokenPrefix)) {
    const stored = await context.db.phantomTokens.findLive(hashSecret(token), nowMs);
    if (stored === undefined) return undefined;
    jwt = stored.accessToken;
  }
  const read = await readAccessToken(jwt, nowMs);
  if (read === undefined) return undefined;
  if (read.claims.client_id !== caller.clientId) return 'nothing';
  const nowSec = Math.floor(nowMs / 1000);
  const entries: RevocationEntry[] = await context.db.transaction((tx) =>
    appendRevocations(tx, [{ type: 'jti', value: read.claims.jti }], 'token_revoked', nowSec),
  );
  context.notifier.publish(entries);
  return 'access_token';
}

async function revokeRefreshToken(
  context: OAuthContext,
  caller: ClientRecord,
  token: string,
  origin: RequestOrigin,
): Promise<RevokedKind | undefined> {
  if (token.length > 256) return undefined;
  const stored = await findRefreshToken(context.db, token);
  if (stored === undefined) return undefined;
  const session = await findLiveSession(context, stored.sessionId);
  if (session?.client?.clientId !== caller.clientId) return 'nothing';
  const { entries } = await context.db.transaction((tx) =>
    revokeSessions(tx, {
      userId: session.userId,
      sessionIds: [session.id],
      cause: 'token_revoked',
      activity: 'sign_out',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'unrevoked',
    }),
  );
  context.notifier.publish(entries);
  return 'refresh_token';
}
