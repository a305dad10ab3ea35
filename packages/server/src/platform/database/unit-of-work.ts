import { AsyncLocalStorage } from 'node:async_hooks';
import type { ControlledTransaction, Kysely } from 'kysely';
import { DatabaseUsedInsideUnitError } from './errors.ts';

/**
 * Every store of the service, bound to the database (each call commits on its own), plus
 * `transaction`: the same stores bound to one unit of work, all of whose writes commit together
 * or none do. A flow that must write two aggregates atomically receives the `tx` and passes it
 * to the other module's flow; it never opens a second transaction inside the first.
 *
 * Units run one after another and are committed in groups (see `createUnitOfWork`): a unit's
 * promise settles only once the commit that holds its writes is durable, and a unit that throws
 * is rolled back alone. A unit therefore does database work only — nothing outside the database
 * may depend on it having committed until its promise resolves — and should not wait on anything
 * slow (signing, hashing, the network) while it holds the write lock: do that before or after.
 *
 * Inside a unit, use its `tx` only. The stores bound to the database and `transaction` refuse
 * to run while called from a unit that is still running (`DatabaseUsedInsideUnitError`): the
 * database's one connection is held by the unit's group until it commits, so such a call would
 * wait for the unit that waits for it.
 */
export type UnitOfWork<Stores> = Stores & {
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
};

export interface GroupCommitOptions {
  /**
   * At most this many units share one commit, so one group never holds the write lock for long
   * and a failing commit answers a bounded number of callers with an error. Default 64.
   */
  readonly maxUnitsPerCommit?: number;
}

interface PendingUnit<Stores> {
  readonly work: (tx: Stores) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

const unitSavepoint = 'writ_unit';

/** What the async context of a unit carries: whether the group is still waiting for that unit. */
interface RunningUnit {
  running: boolean;
}

/**
 * The stores bound to the database, each method refusing to start from inside a running unit.
 * A Proxy per store, so stores of any shape are covered and each call costs one context lookup.
 */
function refusingInsideUnits<Stores extends object>(
  stores: Stores,
  insideUnit: () => boolean,
): Stores {
  const guarded: Record<string, unknown> = {};
  for (const [storeName, store] of Object.entries(stores)) {
    if (typeof store !== 'object' || store === null) {
      guarded[storeName] = store;
      continue;
    }
    // Keyed by property, and rebuilt when the property holds another function than the one
    // wrapped (a method replaced on the store after it was first read must be the one called).
    const wrappers = new Map<
      PropertyKey,
      { readonly method: unknown; readonly wrapper: unknown }
    >();
    guarded[storeName] = new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        const cached = wrappers.get(property);
        if (cached !== undefined && cached.method === value) return cached.wrapper;
        const method = value as (...args: unknown[]) => unknown;
        const name = `db.${storeName}.${String(property)}()`;
        const wrapper = function (this: unknown, ...args: unknown[]): unknown {
          if (insideUnit()) return Promise.reject(usedInsideUnit(name));
          return method.apply(this === receiver ? target : this, args);
        };
        wrappers.set(property, { method: value, wrapper });
        return wrapper;
      },
    });
  }
  return guarded as Stores;
}

function usedInsideUnit(call: string): DatabaseUsedInsideUnitError {
  return new DatabaseUsedInsideUnitError(
    `${call} was called on the database inside a unit of work: it would wait for the unit's own transaction (a deadlock); use the unit's tx`,
  );
}

/**
 * Builds the unit of work from one function that binds every store to an executor.
 *
 * Group commit: with `synchronous = FULL` each commit waits for the disk (an fsync), and SQLite
 * has one writer, so one transaction per unit caps throughput at the disk's commit rate however
 * little each unit writes. Units that arrive while a group is being written wait for the next
 * group; each group is one transaction, and each unit in it runs inside its own savepoint — a
 * unit that throws is rolled back to its savepoint and rejected, the others go on. Every unit of
 * a group is answered after its COMMIT returns, so nobody hears of a write that a crash could
 * still lose. If the group as a whole fails (BEGIN, a savepoint command or COMMIT itself: an I/O
 * error, a full disk), none of its writes are kept and every unit of it is rejected.
 */
export function createUnitOfWork<Tables, Stores extends object>(
  db: Kysely<Tables>,
  bindStores: (executor: Kysely<Tables>) => Stores,
  options: GroupCommitOptions = {},
): UnitOfWork<Stores> {
  const maxUnits = options.maxUnitsPerCommit ?? 64;
  if (!Number.isInteger(maxUnits) || maxUnits < 1) {
    throw new RangeError('maxUnitsPerCommit must be a positive integer');
  }
  const queue: PendingUnit<Stores>[] = [];
  let writing = false;
  // Per unit of work (per database): a unit of one database may use another database freely.
  const unitContext = new AsyncLocalStorage<RunningUnit>();
  const insideUnit = (): boolean => unitContext.getStore()?.running === true;

  const runUnits = async (
    trx: ControlledTransaction<Tables>,
    group: readonly PendingUnit<Stores>[],
  ): Promise<Array<{ readonly unit: PendingUnit<Stores>; readonly value: unknown }>> => {
    const stores = bindStores(trx);
    const succeeded: Array<{ unit: PendingUnit<Stores>; value: unknown }> = [];
    for (const unit of group) {
      // A group of one needs no savepoint: the transaction is the unit.
      const savepoint = group.length > 1 ? await trx.savepoint(unitSavepoint).execute() : undefined;
      let value: unknown;
      // Running until the unit settles: work it started and did not wait for (a timer, a
      // background refresh) may use the database once the unit is over.
      const running: RunningUnit = { running: true };
      try {
        value = await unitContext.run(running, () => unit.work(stores));
      } catch (error) {
        running.running = false;
        if (savepoint === undefined) {
          await trx.rollback().execute();
        } else {
          await savepoint.rollbackToSavepoint(unitSavepoint).execute();
          await savepoint.releaseSavepoint(unitSavepoint).execute();
        }
        unit.reject(error);
        continue;
      }
      running.running = false;
      if (savepoint !== undefined) await savepoint.releaseSavepoint(unitSavepoint).execute();
      succeeded.push({ unit, value });
    }
    return succeeded;
  };

  const writeGroup = async (group: readonly PendingUnit<Stores>[]): Promise<void> => {
    let trx: ControlledTransaction<Tables> | undefined;
    let succeeded: Array<{ readonly unit: PendingUnit<Stores>; readonly value: unknown }> = [];
    try {
      trx = await db.startTransaction().execute();
      succeeded = await runUnits(trx, group);
      if (succeeded.length > 0) await trx.commit().execute();
      else if (!trx.isRolledBack) await trx.rollback().execute();
    } catch (error) {
      if (trx !== undefined && !trx.isCommitted && !trx.isRolledBack) {
        await trx
          .rollback()
          .execute()
          .catch(() => {});
      }
      // Nothing of this group is durable: every unit not already answered hears so. (A unit
      // already rejected keeps its own error; settling a promise twice does nothing.)
      for (const unit of group) unit.reject(error);
      return;
    }
    for (const { unit, value } of succeeded) unit.resolve(value);
  };

  const writeGroups = async (): Promise<void> => {
    while (queue.length > 0) {
      await writeGroup(queue.splice(0, maxUnits));
      // Let the event loop read the requests that arrived during the commit, so they join the
      // next group instead of each starting its own.
      if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
    writing = false;
  };

  return {
    ...refusingInsideUnits(bindStores(db), insideUnit),
    transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T> {
      // A unit opened from a unit would wait for the next group, which waits for this one.
      if (insideUnit()) return Promise.reject(usedInsideUnit('db.transaction()'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!writing) {
          writing = true;
          // Started after the I/O callbacks of this turn: the units they open join this group.
          setImmediate(() => {
            void writeGroups();
          });
        }
      });
    },
  };
}
