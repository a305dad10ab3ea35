import type { Clock } from '../platform/clock.ts';
import {
  hashPassword,
  maximumPasswordLength,
  minimumPasswordLength,
} from '../platform/crypto/password.ts';
import { randomId } from '../platform/crypto/random.ts';
import { looksLikeEmail, normaliseEmail } from './email.ts';
import type { UsersStores } from './users-store.ts';

export type CreateUserResult =
  | { readonly ok: true; readonly userId: string }
  | { readonly ok: false; readonly problem: 'invalid_email' | 'weak_password' | 'email_taken' };

/** Creates an account. The subject id is random and opaque: never sequential, never the email. */
export async function createUser(
  context: { readonly db: UsersStores; readonly clock: Clock },
  input: { readonly email: string; readonly password: string },
): Promise<CreateUserResult> {
  const email = normaliseEmail(input.email);
  if (!looksLikeEmail(email)) return { ok: false, problem: 'invalid_email' };
  const length = [...input.password].length;
  if (length < minimumPasswordLength || length > maximumPasswordLength) {
    return { ok: false, problem: 'weak_password' };
  }
  if ((await context.db.users.findByEmail(email)) !== undefined)
    return { ok: false, problem: 'email_taken' };
  const userId = randomId('usr');
  await context.db.users.create({
    id: userId,
    email,
    passwordHash: await hashPassword(input.password),
    createdAt: context.clock.nowMs(),
  });
  return { ok: true, userId };
}
