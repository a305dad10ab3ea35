import type { Clock } from '../platform/clock.ts';
import { hashPassword } from '../platform/crypto/password.ts';
import { randomId } from '../platform/crypto/random.ts';
import { acceptableEmail, normaliseEmail } from './email.ts';
import { acceptablePassword } from './password-rule.ts';
import type { UsersStores } from './users-store.ts';

export type CreateUserProblem = 'invalid_email' | 'weak_password' | 'email_taken';

export type CreateUserResult =
  | { readonly ok: true; readonly userId: string }
  | { readonly ok: false; readonly problem: CreateUserProblem };

/** Creates an account. The subject id is random and opaque: never sequential, never the email. */
export async function createUser(
  context: { readonly db: UsersStores; readonly clock: Clock },
  input: { readonly email: string; readonly password: string },
): Promise<CreateUserResult> {
  const email = normaliseEmail(input.email);
  if (!acceptableEmail(input.email, email)) return { ok: false, problem: 'invalid_email' };
  if (!acceptablePassword(input.password)) return { ok: false, problem: 'weak_password' };
  // Spares the Argon2 hash for the common duplicate; the insert below is what decides a race.
  if ((await context.db.users.findByEmail(email)) !== undefined)
    return { ok: false, problem: 'email_taken' };
  const userId = randomId('usr');
  const created = await context.db.users.create({
    id: userId,
    email,
    passwordHash: await hashPassword(input.password),
    createdAt: context.clock.nowMs(),
  });
  return created ? { ok: true, userId } : { ok: false, problem: 'email_taken' };
}
