import type { Kysely } from 'kysely';
import type { SigningKeysStore } from './signing-keys-store.ts';
import type { SigningKeysTables } from './signing-keys-table.ts';

export function kyselySigningKeysStore(db: Kysely<SigningKeysTables>): SigningKeysStore {
  return {
    async insert(key) {
      await db
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
    },

    async activate(kid, activatedAtMs) {
      const activated = await db
        .updateTable('signing_keys')
        .set({ state: 'active', activated_at: activatedAtMs })
        .where('kid', '=', kid)
        .where('state', '=', 'next')
        .returning('kid')
        .executeTakeFirst();
      if (activated === undefined) return false;
      // Still published, so tokens it signed keep verifying until they expire.
      await db
        .updateTable('signing_keys')
        .set({ state: 'retiring' })
        .where('state', '=', 'active')
        .where('kid', '!=', kid)
        .execute();
      return true;
    },

    async list(states) {
      if (states.length === 0) return [];
      const rows = await db
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
    },
  };
}
