import { verifyPassword } from '../crypto/password.ts';
import { randomId } from '../crypto/random.ts';
import type { RequestOrigin, ServiceContext } from '../service-context.ts';
import type { SessionMode, SessionRecord } from '../storage/records.ts';
import { admitSignInAttempt, signInSucceeded } from '../throttle/sign-in-throttle.ts';
import { normaliseEmail } from '../users/email.ts';
import { type IssuedTokens, issueTokens } from './issue-tokens.ts';

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
  context: ServiceContext,
  input: { readonly email: string; readonly password: string; readonly mode: SessionMode },
  origin: RequestOrigin,
): Promise<SignInResult> {
  const { storage, config } = context;
  const email = normaliseEmail(input.email);
  const blockedMs = await admitSignInAttempt(storage, email, origin.ip, context.now());
  if (blockedMs > 0)
    return { ok: false, error: 'throttled', retryAfterSec: Math.ceil(blockedMs / 1000) };

  const user = await storage.findUserByEmail(email);
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);
  const now = context.now();
  if (user === undefined || !passwordOk) {
    // The failure was counted when the attempt was admitted.
    if (user !== undefined) {
      await storage.recordActivity({
        userId: user.id,
        sessionId: null,
        type: 'sign_in_failed',
        at: now,
        ...origin,
      });
    }
    return { ok: false, error: 'invalid_credentials' };
  }

  return storage.transaction(async (tx) => {
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
    await tx.createSession(session);
    await tx.recordActivity({
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
