import type { UserRecord } from './user-record.ts';

export interface UsersStore {
  /**
   * Inserts the account unless its email is taken (false then): one statement, so of concurrent
   * creations of one email exactly one succeeds and none fails on the unique index.
   */
  create(user: UserRecord): Promise<boolean>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  findById(id: string): Promise<UserRecord | undefined>;
}

export interface UsersStores {
  readonly users: UsersStore;
}
