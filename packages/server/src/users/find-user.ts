import type { UserRecord } from './user-record.ts';
import type { UsersStores } from './users-store.ts';

/** Looks an account up by its id (`sub`), for modules that hold one (userinfo/). */
export function findUser(
  context: { readonly db: UsersStores },
  userId: string,
): Promise<UserRecord | undefined> {
  return context.db.users.findById(userId);
}
