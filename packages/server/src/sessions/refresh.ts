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

export type Rotation =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      readonly refreshToken: string;
      readonly nowMs: number;
    }
  | { readonly ok: false; readonly error: 'invalid_grant' | RotationRefusal };

/** Why a live OAuth session's rotation was refused and rolled back (its token stays unused). */
export type RotationRefusal = 'invalid_dpop_proof' | 'invalid_scope' | 'invalid_target';

export interface RotationInput {
  readonly refreshToken: string;
  /** How the token arrived: a cookie session's token must come from its cookie, and vice versa. */
  readonly transport: SessionMode;
  /**
   * OAuth (transport `oauth`): the authenticated client, which must be the session's (another
   * client presenting the token is theft), and the key of the request's DPoP proof, which must be
   * the one the session's refresh tokens are bound to, if they are.
   */
  readonly client?: {
    readonly clientId: string;
    readonly dpopJkt: string | undefined;
    /**
     * Checked on the live session before it rotates (the scope or resource asked for, say): a
     * refusal rolls the rotation back, so a request the client got wrong does not spend its token.
     */
    readonly refuses?: (session: SessionRecord) => RotationRefusal | undefined;
  };
}

/** Thrown inside the unit to roll back the consumption: the token stays usable by its holder. */
class RotationRolledBack extends Error {
  readonly refusal: RotationRefusal;
  constructor(refusal: RotationRefusal) {
    super(refusal);
    this.refusal = refusal;
  }
}

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
  input: RotationInput,
  origin: RequestOrigin,
): Promise<RefreshResult> {
  const rotation = await rotateRefreshToken(context, input, origin);
  if (!rotation.ok) return { ok: false, error: 'invalid_grant' };
  const tokens = await signAccessToken(
    context,
    rotation.session,
    rotation.refreshToken,
    rotation.nowMs,
  );
  return { ok: true, tokens, session: rotation.session };
}

/**
 * The rotation itself, committed, with its revocations published and its activity queued; the
 * caller signs the access token (first-party here, an OAuth client's in oauth/).
 */
export async function rotateRefreshToken(
  context: SessionsContext,
  input: RotationInput,
  origin: RequestOrigin,
): Promise<Rotation> {
  const { db, config } = context;
  const failed = { ok: false, error: 'invalid_grant' } as const;
  let published: RevocationEntry[] = [];
  // The unit of work writes the rotation; the access token is signed after it committed, so the
  // write lock (and the group commit waiting on it) never waits on a signature. A signature that
  // failed after the commit would cost the client its session (it signs in again); a key held in
  // memory does not fail.
  const rotateIn = async (tx: SessionsTransaction): Promise<Rotation> => {
    const now = context.clock.nowMs();
    const consumption = await consumeRefreshToken(tx, input.refreshToken, now);
    if (consumption.status === 'unknown') return failed;
    if (consumption.status === 'rotated') {
      // The hot path: one conditional update reads the session and extends it, live and of
      // the transport the token arrived by (and, for OAuth, held by the presenting client), or
      // does nothing.
      const session = await tx.sessions.touchLive({
        id: consumption.sessionId,
        mode: input.transport,
        nowMs: now,
        idleExpiresAt: now + config.sessionIdleTtlSec * 1000,
        ...(input.client === undefined ? {} : { clientId: input.client.clientId }),
      });
      if (session !== undefined) {
        // A DPoP-bound family (public OAuth clients) rotates only with a proof of its key. A
        // request without it is refused and rolled back, not treated as theft: the token is
        // worthless without the key, and a thief must not be able to end the holder's session.
        if (session.client !== undefined) {
          const boundJkt = session.client.dpopJkt;
          if (boundJkt !== null && boundJkt !== input.client?.dpopJkt) {
            throw new RotationRolledBack('invalid_dpop_proof');
          }
          const refusal = input.client?.refuses?.(session);
          if (refusal !== undefined) throw new RotationRolledBack(refusal);
        }
        return writeRotation(tx, session, now);
      }
    }
    const session = await tx.sessions.find(consumption.sessionId);
    if (session === undefined) return failed;
    // A cookie session's refresh token lives in an HttpOnly cookie no script can read: seeing it
    // anywhere else means it was stolen, which is answered like reuse. So is an OAuth session's
    // token presented by another client, or at the first-party endpoint (and the reverse).
    if (
      consumption.status === 'reused' ||
      session.mode !== input.transport ||
      session.client?.clientId !== input.client?.clientId
    ) {
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
  };
  let rotation: Rotation;
  try {
    rotation = await db.transaction(rotateIn);
  } catch (error) {
    if (error instanceof RotationRolledBack) return { ok: false, error: error.refusal };
    throw error;
  }
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
  return rotation;
}
