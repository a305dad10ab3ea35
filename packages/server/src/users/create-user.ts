import { hashPassword, maximumPasswordLength, minimumPasswordLength } from '../crypto/password.ts';
import { randomId } from '../crypto/random.ts';
import type { Storage } from '../storage/storage.ts';
import { looksLikeEmail, normaliseEmail } from './email.ts';

export type CreateUserResult =
  | { readonly ok: true; readonly userId: string }
  | { readonly ok: false; readonly problem: 'invalid_email' | 'weak_password' | 'email_taken' };

/** Creates an account. The subject id is random and opaque: never sequential, never the email. */
export async function createUser(
  storage: Storage,
  input: { readonly email: string; readonly password: string },
  now: number,
): Promise<CreateUserResult> {
  const email = normaliseEmail(input.email);
  if (!looksLikeEmail(email)) return { ok: false, problem: 'invalid_email' };
  const length = [...input.password].length;
  if (length < minimumPasswordLength || length > maximumPasswordLength) {
    return { ok: false, problem: 'weak_password' };
  }
  if ((await storage.findUserByEmail(email)) !== undefined)
    return { ok: false, problem: 'email_taken' };
  const userId = randomId('usr');
  await storage.createUser({
    id: userId,
    email,
    passwordHash: await hashPassword(input.password),
    createdAt: now,
  });
  return { ok: true, userId };
}
