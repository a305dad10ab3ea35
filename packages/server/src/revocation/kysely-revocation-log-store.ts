import type { RevocationEntry, RevocationTarget } from '@writ/core';
import type { Kysely, Selectable } from 'kysely';
import type { RevocationLogStore } from './revocation-log-store.ts';
import type { RevocationsTable, RevocationsTables } from './revocations-table.ts';

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

export function kyselyRevocationLogStore(db: Kysely<RevocationsTables>): RevocationLogStore {
  const head = async (): Promise<number> => {
    // Pruning always keeps the newest entry, so max(cursor) is the head of the log.
    const row = await db
      .selectFrom('revocations')
      .select((eb) => eb.fn.max('cursor').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  };
  return {
    async append(entries) {
      const appended: RevocationEntry[] = [];
      for (const entry of entries) {
        const row = await db
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
    },

    async listAfter(after, limit, nowSec) {
      const rows = await db
        .selectFrom('revocations')
        .selectAll()
        .where('cursor', '>', after)
        .where('forget_after', '>', nowSec)
        .orderBy('cursor', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toRevocation);
    },

    head,

    async prune(nowSec, limit) {
      // Read the head first and keep it: deleting it would let max(cursor) — and so the head a
      // consumer sees — go backwards. (A max() subquery in the DELETE is re-read as rows go.)
      const kept = await head();
      // A sub-select of keys bounds the delete (PostgreSQL's DELETE has no LIMIT).
      const result = await db
        .deleteFrom('revocations')
        .where('cursor', 'in', (qb) =>
          qb
            .selectFrom('revocations')
            .select('cursor')
            .where('forget_after', '<=', nowSec)
            .where('cursor', '<', kept)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
