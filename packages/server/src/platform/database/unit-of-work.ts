import type { Kysely } from 'kysely';

/**
 * Every store of the service, bound to the database (each call commits on its own), plus
 * `transaction`: the same stores bound to one transaction, all of whose writes commit together
 * or none do. A flow that must write two aggregates atomically receives the `tx` and passes it
 * to the other module's flow; it never opens a second transaction inside the first.
 */
export type UnitOfWork<Stores> = Stores & {
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
};

/** Builds the unit of work from one function that binds every store to an executor. */
export function createUnitOfWork<Tables, Stores extends object>(
  db: Kysely<Tables>,
  bindStores: (executor: Kysely<Tables>) => Stores,
): UnitOfWork<Stores> {
  return {
    ...bindStores(db),
    transaction: (work) => db.transaction().execute((trx) => work(bindStores(trx))),
  };
}
