import type { RevocationEntry, RevocationTarget } from '@writ/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrationProvider } from './migrations.ts';
import type {
  ActivityRecord,
  ApiKeyKind,
  ApiKeyRecord,
  NewRevocation,
  SessionRecord,
  SigningKeyRecord,
  SigningKeyState,
  ThrottleRecord,
  UserRecord,
} from './records.ts';
import type {
  ApiKeysTable,
  Database,
  RevocationsTable,
  SessionsTable,
  UsersTable,
} from './schema.ts';
import type { Storage } from './storage.ts';

function toUser(row: Selectable<UsersTable>): UserRecord {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
  };
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    keyHash: row.key_hash,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    mode: row.mode,
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    idleExpiresAt: Number(row.idle_expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

function toRevocation(row: Selectable<RevocationsTable>): RevocationEntry {
  const target: RevocationTarget =
    row.target_type === 'sub'
      ? { type: 'sub', value: row.target_value, issuedBefore: Number(row.issued_before) }
      : { type: row.target_type, value: row.target_value };
  return {
    cursor: Number(row.cursor),
    target,
    cause: row.cause as RevocationEntry['cause'],
    revokedAt: Number(row.revoked_at),
    forgetAfter: Number(row.forget_after),
  };
}

/**
 * The storage contract over Kysely: the SQL lives here, once, for every backend Kysely drives.
 * Revocation times (`revokedAt`, `forgetAfter`, `issuedBefore`) are seconds, as on the wire;
 * every other time is milliseconds.
 */
export class KyselyStorage implements Storage {
  readonly #db: Kysely<Database> | Transaction<Database>;
  readonly #inTransaction: boolean;

  constructor(db: Kysely<Database> | Transaction<Database>, inTransaction = false) {
    this.#db = db;
    this.#inTransaction = inTransaction;
  }

  async transaction<T>(work: (storage: Storage) => Promise<T>): Promise<T> {
    if (this.#inTransaction) return work(this);
    return (this.#db as Kysely<Database>)
      .transaction()
      .execute((trx) => work(new KyselyStorage(trx, true)));
  }

  async createUser(user: UserRecord): Promise<void> {
    await this.#db
      .insertInto('users')
      .values({
        id: user.id,
        email: user.email,
        password_hash: user.passwordHash,
        created_at: user.createdAt,
        updated_at: user.createdAt,
      })
      .execute();
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.#db
      .insertInto('sessions')
      .values({
        id: session.id,
        user_id: session.userId,
        mode: session.mode,
        created_at: session.createdAt,
        last_used_at: session.lastUsedAt,
        idle_expires_at: session.idleExpiresAt,
        absolute_expires_at: session.absoluteExpiresAt,
        revoked_at: session.revokedAt,
        revoke_cause: null,
        ip: session.ip,
        user_agent: session.userAgent,
      })
      .execute();
  }

  async findSession(id: string): Promise<SessionRecord | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSession(row);
  }

  async listLiveSessions(userId: string, now: number): Promise<SessionRecord[]> {
    const rows = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('idle_expires_at', '>', now)
      .where('absolute_expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toSession);
  }

  async touchSession(id: string, now: number, idleExpiresAt: number): Promise<void> {
    await this.#db
      .updateTable('sessions')
      .set({ last_used_at: now, idle_expires_at: idleExpiresAt })
      .where('id', '=', id)
      .execute();
  }

  async revokeSession(id: string, cause: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('sessions')
      .set({ revoked_at: now, revoke_cause: cause })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async insertRefreshToken(tokenHash: string, sessionId: string, now: number): Promise<void> {
    await this.#db
      .insertInto('refresh_tokens')
      .values({ token_hash: tokenHash, session_id: sessionId, created_at: now, used_at: null })
      .execute();
  }

  async consumeRefreshToken(tokenHash: string, now: number) {
    // The conditional update is the compare-and-swap: only one caller can flip used_at from null.
    const rotated = await this.#db
      .updateTable('refresh_tokens')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .returning('session_id')
      .executeTakeFirst();
    if (rotated !== undefined) return { status: 'rotated', sessionId: rotated.session_id } as const;
    const known = await this.#db
      .selectFrom('refresh_tokens')
      .select('session_id')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return known === undefined
      ? ({ status: 'unknown' } as const)
      : ({ status: 'reused', sessionId: known.session_id } as const);
  }

  async insertSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        alg: key.alg,
        state: key.state,
        public_jwk: key.publicJwk,
        sealed_private_jwk: key.sealedPrivateJwk,
        created_at: key.createdAt,
        activated_at: key.activatedAt,
        retired_at: key.retiredAt,
      })
      .execute();
  }

  async listSigningKeys(states: readonly SigningKeyState[]): Promise<SigningKeyRecord[]> {
    if (states.length === 0) return [];
    const rows = await this.#db
      .selectFrom('signing_keys')
      .selectAll()
      .where('state', 'in', states)
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      publicJwk: row.public_jwk,
      sealedPrivateJwk: row.sealed_private_jwk,
      createdAt: Number(row.created_at),
      activatedAt: row.activated_at === null ? null : Number(row.activated_at),
      retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    }));
  }

  async appendRevocations(entries: readonly NewRevocation[]): Promise<RevocationEntry[]> {
    const appended: RevocationEntry[] = [];
    for (const entry of entries) {
      const row = await this.#db
        .insertInto('revocations')
        .values({
          target_type: entry.target.type,
          target_value: entry.target.value,
          issued_before: entry.target.type === 'sub' ? entry.target.issuedBefore : null,
          cause: entry.cause,
          revoked_at: entry.revokedAt,
          forget_after: entry.forgetAfter,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      appended.push(toRevocation(row));
    }
    return appended;
  }

  async listRevocationsAfter(
    after: number,
    limit: number,
    now: number,
  ): Promise<RevocationEntry[]> {
    const rows = await this.#db
      .selectFrom('revocations')
      .selectAll()
      .where('cursor', '>', after)
      .where('forget_after', '>', now)
      .orderBy('cursor', 'asc')
      .limit(limit)
      .execute();
    return rows.map(toRevocation);
  }

  async revocationHead(): Promise<number> {
    // Pruning always keeps the newest entry, so max(cursor) is the head of the log.
    const row = await this.#db
      .selectFrom('revocations')
      .select((eb) => eb.fn.max('cursor').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  async pruneRevocations(now: number): Promise<number> {
    return this.transaction(async (tx) => {
      // Read the head first and keep it: deleting it would let max(cursor) — and so the head a
      // consumer sees — go backwards. (A subquery in the DELETE is re-read as rows go.)
      const head = await tx.revocationHead();
      const result = await (tx as KyselyStorage).#db
        .deleteFrom('revocations')
        .where('forget_after', '<=', now)
        .where('cursor', '<', head)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  async recordActivity(activity: ActivityRecord): Promise<void> {
    await this.#db
      .insertInto('activity')
      .values({
        user_id: activity.userId,
        session_id: activity.sessionId,
        type: activity.type,
        at: activity.at,
        ip: activity.ip,
        user_agent: activity.userAgent,
      })
      .execute();
  }

  async listActivity(userId: string, limit: number): Promise<ActivityRecord[]> {
    const rows = await this.#db
      .selectFrom('activity')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      userId: row.user_id,
      sessionId: row.session_id,
      type: row.type as ActivityRecord['type'],
      at: Number(row.at),
      ip: row.ip,
      userAgent: row.user_agent,
    }));
  }

  async pruneActivity(before: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('activity')
      .where('at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async createApiKey(key: ApiKeyRecord): Promise<void> {
    await this.#db
      .insertInto('api_keys')
      .values({
        id: key.id,
        kind: key.kind,
        name: key.name,
        key_hash: key.keyHash,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
      })
      .execute();
  }

  async findApiKeyByHash(kind: ApiKeyKind, keyHash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('kind', '=', kind)
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && toApiKey(row);
  }

  async listApiKeys(kind: ApiKeyKind): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('kind', '=', kind)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map(toApiKey);
  }

  async revokeApiKey(kind: ApiKeyKind, name: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async findThrottle(key: string): Promise<ThrottleRecord | undefined> {
    const row = await this.#db
      .selectFrom('sign_in_throttles')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    return (
      row && {
        key: row.key,
        failures: Number(row.failures),
        blockedUntil: Number(row.blocked_until),
        updatedAt: Number(row.updated_at),
      }
    );
  }

  async saveThrottle(throttle: ThrottleRecord): Promise<void> {
    const values = {
      key: throttle.key,
      failures: throttle.failures,
      blocked_until: throttle.blockedUntil,
      updated_at: throttle.updatedAt,
    };
    await this.#db
      .insertInto('sign_in_throttles')
      .values(values)
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  }

  async pruneThrottles(before: number, now: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('sign_in_throttles')
      .where('updated_at', '<', before)
      .where('blocked_until', '<=', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteThrottle(key: string): Promise<void> {
    await this.#db.deleteFrom('sign_in_throttles').where('key', '=', key).execute();
  }

  async migrate(): Promise<void> {
    const { error } = await new Migrator({
      db: this.#db as Kysely<Database>,
      provider: migrationProvider,
    }).migrateToLatest();
    if (error !== undefined) throw error;
  }

  async close(): Promise<void> {
    await (this.#db as Kysely<Database>).destroy();
  }
}
