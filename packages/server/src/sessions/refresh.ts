import type { RevocationEntry } from '@writ/core';
import { signaturesCanFail } from '../keys/signer.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { consumeRefreshToken } from '../refresh-tokens/consume-refresh-token.ts';
import { findRefreshToken } from '../refresh-tokens/find-refresh-token.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import { type IssuedTokens, signSessionAccessToken } from './issue-tokens.ts';
import { revokeSessions } from './revoke-sessions.ts';
import { isLive, type SessionMode, type SessionRecord } from './session-record.ts';
import type { SessionsContext, SessionsTransaction } from './sessions-context.ts';

export type RefreshResult =
  | { readonly ok: true; readonly tokens: IssuedTokens; readonly session: SessionRecord }
  | { readonly ok: false; readonly error: 'invalid_grant' };

export type Rotation<Signed> =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      readonly refreshToken: string;
      readonly nowMs: number;
      /** The access token, signed for the session as the rotation found it. */
      readonly signed: Signed;
    }
  | { readonly ok: false; readonly error: 'invalid_grant' | RotationRefusal };

/**
 * How the caller's access token is made for the session a rotation extends: first-party here,
 * an OAuth client's in oauth/. `sign` gets the session as it stood before the rotation (the
 * claims come from what a rotation never changes: its id, user and grant) and the time to put
 * in the token.
 */
export interface AccessTokenSigning<Tx, Signed> {
  sign(session: SessionRecord, nowMs: number): Promise<Signed>;
  /**
   * What the signed token needs stored (an opaque token's phantom row), written in the unit
   * that rotates, so nothing is stored for a token that is dropped; `undefined`: nothing.
   */
  writeFor?(signed: Signed): ((tx: Tx) => Promise<void>) | undefined;
}

/** The session flows' context over any unit of work that holds at least their stores. */
export type RotationContext<Tx extends SessionsTransaction> = Omit<SessionsContext, 'db'> & {
  readonly db: UnitOfWork<Tx>;
};

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

/** What the unit of work decided: the rotation it committed, or why it did not rotate. */
type Rotated =
  | {
      readonly ok: true;
      readonly session: SessionRecord;
      readonly refreshToken: string;
      readonly nowMs: number;
      /** Whether the signature made before the unit is the one to hand out (it was for this session). */
      readonly signedFirst: boolean;
    }
  | { readonly ok: false; readonly error: 'invalid_grant' };

/**
 * Why the live `session` refuses this request, if it does, without it being theft: a DPoP-bound
 * family (public OAuth clients) rotates only with a proof of its key (the token is worthless
 * without the key, and a thief must not be able to end the holder's session), and the OAuth
 * request's own checks (scope, resource).
 */
function refusalOf(session: SessionRecord, input: RotationInput): RotationRefusal | undefined {
  if (session.client === undefined) return undefined;
  const boundJkt = session.client.dpopJkt;
  if (boundJkt !== null && boundJkt !== input.client?.dpopJkt) return 'invalid_dpop_proof';
  return input.client?.refuses?.(session);
}

/**
 * The session a rotation of this token would extend, read before anything is written (reads
 * only, on the database, no unit of work): the token unused, its session live at `nowMs`, of
 * the transport the token arrived by and held by the presenting client, and not refusing the
 * request. `undefined` when the rotation will not succeed: the unit then finds out why and acts
 * on it (reuse and theft revoke the family) exactly as without this read.
 */
async function sessionToRotate(
  db: SessionsTransaction,
  input: RotationInput,
  nowMs: number,
): Promise<SessionRecord | undefined> {
  const token = await findRefreshToken(db, input.refreshToken);
  if (token === undefined || token.usedAt !== null) return undefined;
  const session = await db.sessions.find(token.sessionId);
  if (
    session === undefined ||
    !isLive(session, nowMs) ||
    session.mode !== input.transport ||
    session.client?.clientId !== input.client?.clientId ||
    refusalOf(session, input) !== undefined
  )
    return undefined;
  return session;
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
  const rotation = await rotateRefreshToken(context, input, origin, {
    sign: (session, nowMs) => signSessionAccessToken(context, session, nowMs),
  });
  if (!rotation.ok) return { ok: false, error: 'invalid_grant' };
  const tokens = { ...rotation.signed, refreshToken: rotation.refreshToken };
  return { ok: true, tokens, session: rotation.session };
}

/**
 * The rotation itself, committed, with its revocations published and its activity queued, and
 * the caller's access token signed for it (`signing`).
 *
 * The write lock (and the group commit waiting on it) never waits on a signature: it is made
 * before or after the unit of work. With a custody whose signatures can fail (keys/signer.ts
 * `signaturesCanFail`: the signer process), sign first, commit second: the token is signed
 * before the unit, for the session a read of the token and its session (no unit, reads only)
 * says the rotation will extend, so a signature that fails (the signer is down: 503) has spent
 * nothing and the client retries with the same token. If the unit then does not rotate that
 * session (the token was spent or the session revoked meanwhile, reuse, a refusal), the signed
 * token is dropped, never leaving the process, and the unit's own outcome is answered. When the
 * read already says the rotation will fail, nothing is signed. With keys in this process's
 * memory a signature cannot fail, and the token is signed after the commit, without that read:
 * it waits for the connection a group commit holds, which cost 29% of bench/server/refresh.ts's
 * throughput (docs/architecture.md, "Departures and choices").
 */
export async function rotateRefreshToken<Tx extends SessionsTransaction, Signed>(
  context: RotationContext<Tx>,
  input: RotationInput,
  origin: RequestOrigin,
  signing: AccessTokenSigning<Tx, Signed>,
): Promise<Rotation<Signed>> {
  const { db, config } = context;
  const failed = { ok: false, error: 'invalid_grant' } as const;
  let published: RevocationEntry[] = [];
  const signedAt = context.clock.nowMs();
  const predicted = signaturesCanFail(context.signer)
    ? await sessionToRotate(db, input, signedAt)
    : undefined;
  const first =
    predicted === undefined
      ? undefined
      : { sessionId: predicted.id, signed: await signing.sign(predicted, signedAt) };
  const rotateIn = async (tx: Tx): Promise<Rotated> => {
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
        // Refused, not treated as theft, and rolled back: the token stays usable by its holder.
        const refusal = refusalOf(session, input);
        if (refusal !== undefined) throw new RotationRolledBack(refusal);
        const refreshToken = await issueRefreshToken(tx, session.id, now);
        const signedFirst = first !== undefined && first.sessionId === session.id;
        const write = signedFirst ? signing.writeFor?.(first.signed) : undefined;
        if (write !== undefined) await write(tx);
        return { ok: true, session, refreshToken, nowMs: now, signedFirst };
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
  let rotated: Rotated;
  try {
    rotated = await db.transaction(rotateIn);
  } catch (error) {
    if (error instanceof RotationRolledBack) return { ok: false, error: error.refusal };
    throw error;
  }
  context.notifier.publish(published);
  if (!rotated.ok) return rotated;
  // A routine entry, queued only once the rotation committed: the batched recorder writes it off
  // the answer's path (a `refresh_reuse` stays in the revoking transaction above).
  context.activity.record({
    userId: rotated.session.userId,
    sessionId: rotated.session.id,
    type: 'refresh',
    at: rotated.nowMs,
    ...origin,
  });
  const { signedFirst, ...rotation } = rotated;
  if (signedFirst && first !== undefined) return { ...rotation, signed: first.signed };
  // Signed after the commit, and what it needs stored in a unit of its own: with keys in this
  // process's memory (a signature cannot fail, and the read would cost throughput), or when the
  // read saw a rotation fail that the unit then made (a race the states' one-way moves all but
  // rule out).
  const signed = await signing.sign(rotation.session, rotation.nowMs);
  const write = signing.writeFor?.(signed);
  if (write !== undefined) await db.transaction(write);
  return { ...rotation, signed };
}
