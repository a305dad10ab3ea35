import { recordActivity } from '../activity/record-activity.ts';
import { verifyPassword } from '../platform/crypto/password.ts';
import { randomId } from '../platform/crypto/random.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { admitSignInAttempt, signInSucceeded } from '../throttle/sign-in-throttle.ts';
import { normaliseEmail } from '../users/email.ts';
import { findUserByEmail } from '../users/find-user-by-email.ts';
import { type IssuedTokens, issueTokens } from './issue-tokens.ts';
import type { SessionMode, SessionRecord } from './session-record.ts';
import type { SessionsContext } from './sessions-context.ts';

export type SignInResult =
  | { readonly ok: true; readonly tokens: IssuedTokens; readonly session: SessionRecord }
  | { readonly ok: false; readonly error: 'invalid_credentials' }
  | { readonly ok: false; readonly error: 'throttled'; readonly retryAfterSec: number };

/**
 * Password sign-in. An unknown account and a wrong password give the same answer after the
 * same work (a decoy Argon2id check), and throttling is keyed by what was typed, so nothing here
 * tells an attacker whether an account exists.
 */
export async function signIn(
  context: SessionsContext,
  input: { readonly email: string; readonly password: string; readonly mode: SessionMode },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const admission = await admitSignInAttempt(context.db, email, origin.ip, () =>
    context.clock.nowMs(),
  );
  if (admission.blockedMs > 0) {
    const retryAfterSec = Math.ceil(admission.blockedMs / 1000);
    return { ok: false, error: 'throttled', retryAfterSec };
  }
  try {
    return await signInAdmitted(context, email, input, origin);
  } finally {
    admission.end();
  }
}

/** The admitted attempt: the password check, then the session (or the counted failure). */
async function signInAdmitted(
  context: SessionsContext,
  email: string,
  input: { readonly password: string; readonly mode: SessionMode },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const { db, config, clock } = context;
  const user = await findUserByEmail(db, email);
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  const now = clock.nowMs();
  if (user === undefined || !passwordOk) {
    // The failure was counted when the attempt was admitted.
    if (user !== undefined) {
      await recordActivity(db, {
        userId: user.id,
        sessionId: null,
        type: 'sign_in_failed',
        at: now,
        ...origin,
      });
    }
    return { ok: false, error: 'invalid_credentials' };
  }

  return db.transaction(async (tx) => {
    await signInSucceeded(tx, email, origin.ip);
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
    return {
      ok: true,
      tokens: await issueTokens(context, tx, session),
      session,
    } as const;
  });
}
