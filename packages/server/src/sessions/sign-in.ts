import {
  recordActivity,
  recordActivityIfUserExists,
  retractActivity,
} from '../activity/record-activity.ts';
import { verifyPassword } from '../platform/crypto/password.ts';
import { randomId } from '../platform/crypto/random.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import { admitSignInAttempt, signInSucceeded } from '../throttle/sign-in-throttle.ts';
import { normaliseEmail } from '../users/email.ts';
import { findUserByEmail } from '../users/find-user-by-email.ts';
import type { UserRecord } from '../users/user-record.ts';
import { type IssuedTokens, signAccessToken } from './issue-tokens.ts';
import type { SessionMode, SessionRecord } from './session-record.ts';
import type { SessionsContext } from './sessions-context.ts';

/** An id no user has (theirs are `usr_` + 22 base64url characters, never a dot), as long as theirs. */
const noSuchUserId = `usr_${'.'.repeat(22)}`;

export type SignInResult =
  | { readonly ok: true; readonly tokens: IssuedTokens; readonly session: SessionRecord }
  | { readonly ok: false; readonly error: 'invalid_credentials' }
  | { readonly ok: false; readonly error: 'throttled'; readonly retryAfterSec: number };

/**
 * Password sign-in. An unknown account and a wrong password give the same answer after the
 * same work (a decoy Argon2id check), and throttling is keyed by what was typed, so nothing here
 * tells an attacker whether an account exists.
 *
 * The failed-sign-in event is written provisionally, in the admission's transaction (which
 * commits for every admitted attempt, real account or not), by a statement that does the same
 * work for an unknown account and inserts nothing, and taken back in the transaction of
 * a successful sign-in. Written after a wrong password instead, it was a commit that only real
 * accounts paid for (about a millisecond, an fsync): the guesser could time it. Queued for a
 * later batch (activity-recorder.ts), it was still work that only real accounts caused, on the
 * main thread shortly after the answer, and the timing test measured it there.
 */
export async function signIn(
  context: SessionsContext,
  input: { readonly email: string; readonly password: string; readonly mode: SessionMode },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const { db, clock } = context;
  const email = normaliseEmail(input.email);
  const user = await findUserByEmail(db, email);
  let failureEventId: number | undefined;
  const admission = await admitSignInAttempt(
    db,
    email,
    origin.ip,
    () => clock.nowMs(),
    async (tx) => {
      // The same statement for a real account and an unknown one (which inserts nothing): a
      // row written for real accounts alone was ~0.3 ms of work a guesser could time.
      failureEventId = await recordActivityIfUserExists(tx, {
        userId: user?.id ?? noSuchUserId,
        sessionId: null,
        type: 'sign_in_failed',
        at: clock.nowMs(),
        ...origin,
      });
    },
  );
  if (admission.blockedMs > 0) {
    const retryAfterSec = Math.ceil(admission.blockedMs / 1000);
    return { ok: false, error: 'throttled', retryAfterSec };
  }
  try {
    return await signInAdmitted(context, { email, user, failureEventId }, input, origin);
  } finally {
    admission.end();
  }
}

/** The admitted attempt: the password check, then the session (or the failure, as recorded). */
async function signInAdmitted(
  context: SessionsContext,
  admitted: {
    readonly email: string;
    readonly user: UserRecord | undefined;
    readonly failureEventId: number | undefined;
  },
  input: { readonly password: string; readonly mode: SessionMode },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const { db, config, clock } = context;
  const { email, user, failureEventId } = admitted;
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  const now = clock.nowMs();
  if (user === undefined || !passwordOk) {
    // Counted, and recorded, when the attempt was admitted: nothing more to write.
    return { ok: false, error: 'invalid_credentials' };
  }

  // The access token is signed after the commit, as a refresh signs it: a signer that fails
  // (an external one can be away) then neither rolls back the throttle's record of the right
  // password (counting it as a failure) nor holds the write lock while it is waited on. A
  // signature that fails leaves a session no one holds a token of, expiring when idle.
  const { session, refreshToken } = await db.transaction(async (tx) => {
    await signInSucceeded(tx, email, origin.ip);
    if (failureEventId !== undefined) await retractActivity(tx, failureEventId);
    const session: SessionRecord = {
      id: randomId('ses'),
      userId: user.id,
      mode: input.mode,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: now + config.sessionIdleTtlSec * 1000,
      absoluteExpiresAt: now + config.sessionAbsoluteTtlSec * 1000,
      revokedAt: null,
      ip: origin.ip,
      userAgent: origin.userAgent,
    };
    await tx.sessions.create(session);
    await recordActivity(tx, {
      userId: user.id,
      sessionId: session.id,
      type: 'sign_in',
      at: now,
      ...origin,
    });
    return { session, refreshToken: await issueRefreshToken(tx, session.id, now) };
  });
  return {
    ok: true,
    tokens: await signAccessToken(context, session, refreshToken, now),
    session,
  };
}
