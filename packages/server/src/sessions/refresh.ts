import type { RevocationEntry } from '@writ/core';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { consumeRefreshToken } from '../refresh-tokens/consume-refresh-token.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import { type IssuedTokens, signAccessToken } from './issue-tokens.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionMode, SessionRecord } from './session-record.ts';
import type { SessionsContext, SessionsTransaction } from './sessions-context.ts';

export type RefreshResult =
  | { readonly ok: true; readonly tokens: IssuedTokens; readonly session: SessionRecord }
  | { readonly ok: false; readonly error: 'invalid_grant' };

type Rotation =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      readonly refreshToken: string;
      readonly nowMs: number;
    }
  | { readonly ok: false; readonly error: 'invalid_grant' };

/** Writes the session's next refresh token (the refresh's activity entry is queued after the commit). */
async function writeRotation(
  tx: SessionsTransaction,
  session: SessionRecord,
  nowMs: number,
): Promise<Rotation> {
  const refreshToken = await issueRefreshToken(tx, session.id, nowMs);
  return { ok: true, session, refreshToken, nowMs };
}

/**
 * Rotates a refresh token. The old token dies in the same transaction that issues the new
 * pair. Presenting a token that was already rotated means two parties hold it — the user and a
 * thief — and we cannot tell which is which, so the whole session (its token family) is revoked,
 * everywhere, and the event is recorded. The same goes for a token arriving by the wrong
 * transport (a cookie session's token in a JSON body).
 */
export async function refresh(
  context: SessionsContext,
  input: {
    readonly refreshToken: string;
    /** How the token arrived: a cookie session's token must come from its cookie, and vice versa. */
    readonly transport: SessionMode;
  },
  origin: RequestOrigin,
): Promise<RefreshResult> {
  const { db, config } = context;
  const failed = { ok: false, error: 'invalid_grant' } as const;
  let published: RevocationEntry[] = [];
  // The unit of work writes the rotation; the access token is signed after it committed, so the
  // write lock (and the group commit waiting on it) never waits on a signature. A signature that
  // failed after the commit would cost the client its session (it signs in again); a key held in
  // memory does not fail.
  const rotation = await db.transaction(async (tx): Promise<Rotation> => {
    const now = context.clock.nowMs();
    const consumption = await consumeRefreshToken(tx, input.refreshToken, now);
    if (consumption.status === 'unknown') return failed;
    if (consumption.status === 'rotated') {
      // The hot path: one conditional update reads the session and extends it, live and of
      // the transport the token arrived by, or does nothing.
      const session = await tx.sessions.touchLive({
        id: consumption.sessionId,
        mode: input.transport,
        nowMs: now,
        idleExpiresAt: now + config.sessionIdleTtlSec * 1000,
      });
      if (session !== undefined) return writeRotation(tx, session, now);
    }
    const session = await tx.sessions.find(consumption.sessionId);
    if (session === undefined) return failed;
    // A cookie session's refresh token lives in an HttpOnly cookie no script can read: seeing it
    // anywhere else means it was stolen, which is answered like reuse.
    if (consumption.status === 'reused' || session.mode !== input.transport) {
      if (session.revokedAt === null) {
        ({ entries: published } = await revokeSessions(tx, {
          userId: session.userId,
          sessionIds: [session.id],
          cause: 'refresh_reuse',
          activity: 'refresh_reuse',
          origin,
          nowMs: context.clock.nowMs(),
          which: 'unrevoked',
        }));
      }
    }
    // Otherwise rotated, of the right transport, but no longer live: refused without revoking.
    return failed;
  });
  context.notifier.publish(published);
  if (!rotation.ok) return rotation;
  // A routine entry, queued only once the rotation committed: the batched recorder writes it off
  // the answer's path (a `refresh_reuse` stays in the revoking transaction above).
  context.activity.record({
    userId: rotation.session.userId,
    sessionId: rotation.session.id,
    type: 'refresh',
    at: rotation.nowMs,
    ...origin,
  });
  const tokens = await signAccessToken(
    context,
    rotation.session,
    rotation.refreshToken,
    rotation.nowMs,
  );
  return { ok: true, tokens, session: rotation.session };
}
