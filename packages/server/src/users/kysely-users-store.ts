import type { Kysely } from 'kysely';
import type { UsersStore } from './users-store.ts';
import type { UsersTables } from './users-table.ts';

export function kyselyUsersStore(db: Kysely<UsersTables>): UsersStore {
  return {
    async create(user) {
      // ON CONFLICT … DO NOTHING: the same statement on SQLite and PostgreSQL.
      const result = await db
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email,
          password_hash: user.passwordHash,
          created_at: user.createdAt,
          updated_at: user.createdAt,
        })
        .onConflict((oc) => oc.column('email').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', email)
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          email: row.email,
          passwordHash: row.password_hash,
          createdAt: Number(row.created_at),
        }
      );
    },

    async findById(id) {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return (
        row && {
          id: row.id,
          email: row.email,
          passwordHash: row.password_hash,
          createdAt: Number(row.created_at),
        }
      );
    },
  };
}
