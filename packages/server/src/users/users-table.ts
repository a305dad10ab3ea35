export interface UsersTables {
  users: UsersTable;
}

export interface UsersTable {
  /** `usr_…`: random, never sequential, never the email. */
  id: string;
  /** Normalised (NFKC, trimmed, lower-case) so one person cannot hold two spellings. */
  email: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}
