import type { UserRecord } from './user-record.ts';

export interface UsersStore {
  create(user: UserRecord): Promise<void>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
}

export interface UsersStores {
  readonly users: UsersStore;
}
