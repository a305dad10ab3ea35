import type {
  ActivityRecord,
  ApiKeyKind,
  ApiKeyRecord,
  NewRevocation,
  RefreshConsumption,
  RevocationEntry,
  SessionRecord,
  SigningKeyRecord,
  SigningKeyState,
  ThrottleRecord,
  UserRecord,
} from './records.ts';

/**
 * Everything the token service persists, behind one interface. Backends (SQLite now,
 * PostgreSQL next) implement it with the same contract tests. Methods are named for what they do
 * to the data; anything that must agree with another write goes through `transaction`.
 */
export interface Storage {
  /** Runs `work` in one transaction: all of its writes commit together or none do. */
  transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T>;

  createUser(user: UserRecord): Promise<void>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;

  createSession(session: SessionRecord): Promise<void>;
  findSession(id: string): Promise<SessionRecord | undefined>;
  /** Sessions neither revoked nor expired at `now`, newest first. */
  listLiveSessions(userId: string, now: number): Promise<SessionRecord[]>;
  touchSession(id: string, now: number, idleExpiresAt: number): Promise<void>;
  /** Marks the session revoked; false if it already was (or does not exist). */
  revokeSession(id: string, cause: string, now: number): Promise<boolean>;

  insertRefreshToken(tokenHash: string, sessionId: string, now: number): Promise<void>;
  /**
   * Marks a refresh token used if, and only if, it was unused: of any number of concurrent
   * callers with the same token exactly one sees `rotated`; the others see `reused`.
   */
  consumeRefreshToken(tokenHash: string, now: number): Promise<RefreshConsumption>;

  insertSigningKey(key: SigningKeyRecord): Promise<void>;
  listSigningKeys(states: readonly SigningKeyState[]): Promise<SigningKeyRecord[]>;

  /** Appends to the revocation log; returns the entries with their cursors, in order. */
  appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]>;
  /** Entries with cursor > `after` that are not yet forgettable at `now`, ascending. */
  listRevocationsAfter(after: number, limit: number, now: number): Promise<RevocationEntry[]>;
  /** The highest cursor ever assigned (0 for an empty log). */
  revocationHead(): Promise<number>;
  /** Deletes entries whose `forgetAfter` has passed; returns how many. */
  pruneRevocations(now: number): Promise<number>;

  recordActivity(activity: ActivityRecord): Promise<void>;
  listActivity(userId: string, limit: number): Promise<ActivityRecord[]>;
  /** Deletes activity older than `before` (ms); returns how many. */
  pruneActivity(before: number): Promise<number>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  findApiKeyByHash(kind: ApiKeyKind, keyHash: string): Promise<ApiKeyRecord | undefined>;
  revokeApiKey(kind: ApiKeyKind, name: string, now: number): Promise<boolean>;
  /** Keys of a kind that are not revoked, oldest first (hashes included; never the keys). */
  listApiKeys(kind: ApiKeyKind): Promise<ApiKeyRecord[]>;

  findThrottle(key: string): Promise<ThrottleRecord | undefined>;
  saveThrottle(throttle: ThrottleRecord): Promise<void>;
  deleteThrottle(key: string): Promise<void>;
  /** Deletes throttles neither blocking nor updated since `before` (ms); returns how many. */
  pruneThrottles(before: number, now: number): Promise<number>;

  /** Applies pending migrations. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
