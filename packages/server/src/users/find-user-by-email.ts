import type { UserRecord } from './user-record.ts';
import type { UsersStores } from './users-store.ts';

/** Looks an account up by an already normalised email (see email.ts). */
export function findUserByEmail(
  db: UsersStores,
  normalisedEmail: string,
): Promise<UserRecord | undefined> {
  return db.users.findByEmail(normalisedEmail);
}
