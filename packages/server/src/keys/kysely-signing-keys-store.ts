import { type Kysely, type Selectable, sql } from 'kysely';
import type { StoredSigningKey } from './signing-key-record.ts';
import type { SigningKeysStore } from './signing-keys-store.ts';
import type { SigningKeysTable, SigningKeysTables } from './signing-keys-table.ts';

const optionalMs = (value: number | null): number | null => (value === null ? null : Number(value));

function toRecord(row: Selectable<SigningKeysTable>): StoredSigningKey {
  return {
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    publicJwk: row.public_jwk,
    sealedPrivateJwk: row.sealed_private_jwk,
    custody: row.custody,
    createdAt: Number(row.created_at),
    activatesAt: optionalMs(row.activates_at),
    activatedAt: optionalMs(row.activated_at),
    retiresAt: optionalMs(row.retires_at),
    retiredAt: optionalMs(row.retired_at),
  };
}

export function kyselySigningKeysStore(db: Kysely<SigningKeysTables>): SigningKeysStore {
  /** Every write moves the version on, in the writer's transaction when there is one. */
  const bumpVersion = async (): Promise<void> => {
    await db
      .insertInto('key_ring_version')
      .values({ id: 1, version: 1 })
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet({ version: sql<number>`key_ring_version.version + 1` }),
      )
      .execute();
  };
  const changed = async (rows: readonly unknown[]): Promise<boolean> => {
    if (rows.length === 0) return false;
    await bumpVersion();
    return true;
  };

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
          custody: key.custody ?? 'sealed',
          created_at: key.createdAt,
          activates_at: key.activatesAt ?? null,
          activated_at: key.activatedAt,
          retires_at: key.retiresAt ?? null,
          retired_at: key.retiredAt,
        })
        .execute();
      await bumpVersion();
    },

    async activate(kid, change) {
      const activated = await db
        .updateTable('signing_keys')
        .set({ state: 'active', activated_at: change.nowMs })
        .where('kid', '=', kid)
        .where('state', '=', 'next')
        .returning('alg')
        .executeTakeFirst();
      if (activated === undefined) return false;
      // Still published, so tokens it signed keep verifying until they expire.
      let replaced = db
        .updateTable('signing_keys')
        .set({ state: 'retiring', retires_at: change.retiresAtMs })
        .where('state', '=', 'active')
        .where('kid', '!=', kid);
      if (change.replaces === 'same-algorithm')
        replaced = replaced.where('alg', '=', activated.alg);
      await replaced.execute();
      await bumpVersion();
      return true;
    },

    async startRetiring(kid, retiresAtMs) {
      return changed(
        await db
          .updateTable('signing_keys')
          .set({ state: 'retiring', retires_at: retiresAtMs })
          .where('kid', '=', kid)
          .where('state', '=', 'active')
          .returning('kid')
          .execute(),
      );
    },

    async scheduleRetirement(kid, retiresAtMs) {
      return changed(
        await db
          .updateTable('signing_keys')
          .set({ retires_at: retiresAtMs })
          .where('kid', '=', kid)
          .where('state', '=', 'retiring')
          .where('retires_at', 'is', null)
          .returning('kid')
          .execute(),
      );
    },

    async retire(kid, from, nowMs) {
      if (from.length === 0) return false;
      return changed(
        await db
          .updateTable('signing_keys')
          .set({ state: 'retired', retired_at: nowMs })
          .where('kid', '=', kid)
          .where('state', 'in', from)
          .returning('kid')
          .execute(),
      );
    },

    async eraseCustodyRef(kid) {
      await db
        .updateTable('signing_keys')
        .set({ sealed_private_jwk: '' })
        .where('kid', '=', kid)
        .where('state', '=', 'retired')
        .execute();
    },

    async list(states) {
      if (states.length === 0) return [];
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('state', 'in', states)
        .orderBy('created_at', 'asc')
        .orderBy('kid', 'asc')
        .execute();
      return rows.map(toRecord);
    },

    async listAll() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'asc')
        .orderBy('kid', 'asc')
        .execute();
      return rows.map(toRecord);
    },

    async listUnerasedRetired() {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('state', '=', 'retired')
        .where('sealed_private_jwk', '!=', '')
        .orderBy('created_at', 'asc')
        .execute();
      return rows.map(toRecord);
    },

    async version() {
      const row = await db
        .selectFrom('key_ring_version')
        .select('version')
        .where('id', '=', 1)
        .executeTakeFirst();
      return row === undefined ? 0 : Number(row.version);
    },

    async takeLease(name, holder, nowMs, expiresAtMs) {
      const taken = await db
        .insertInto('key_rotation_lease')
        .values({ name, holder, expires_at: expiresAtMs })
        .onConflict((conflict) =>
          conflict
            .column('name')
            .doUpdateSet({ holder, expires_at: expiresAtMs })
            .where((eb) =>
              eb.or([
                eb('key_rotation_lease.holder', '=', holder),
                eb('key_rotation_lease.expires_at', '<=', nowMs),
              ]),
            ),
        )
        .returning('holder')
        .executeTakeFirst();
      return taken?.holder === holder;
    },

    async releaseLease(name, holder) {
      await db
        .deleteFrom('key_rotation_lease')
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute();
    },
  };
}
