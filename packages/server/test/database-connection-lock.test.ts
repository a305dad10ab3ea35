import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseUsedInsideUnitError } from '../src/platform/database/errors.ts';
import type { UnitOfWork } from '../src/platform/database/unit-of-work.ts';
import { openScratchDatabase, type ScratchDatabase } from './support/scratch-database.ts';

interface NotesTables {
  notes: { text: string };
}

interface NotesStores {
  readonly notes: {
    add(text: string): Promise<void>;
    texts(): Promise<string[]>;
  };
}

const bindNotes = (db: Kysely<NotesTables>): NotesStores => ({
  notes: {
    async add(text) {
      await db.insertInto('notes').values({ text }).execute();
    },
    async texts() {
      const rows = await db.selectFrom('notes').select('text').orderBy('text').execute();
      return rows.map((row) => row.text);
    },
  },
});

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A settled outcome, or 'pending' if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets every statement that could run now run (the group waits on a gate meanwhile). */
const someTurns = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

/** How `promise` settled within 2 s: 'resolved', the error it rejected with, or 'pending'. */
const outcomeOf = (promise: Promise<unknown>): Promise<unknown> =>
  within(
    promise.then(
      () => 'resolved',
      (error: unknown) => error,
    ),
    2000,
  );

describe('the database itself and the units of work on its one connection', () => {
  let scratch: ScratchDatabase<NotesTables, NotesStores>;
  let db: UnitOfWork<NotesStores>;

  /** What a second connection sees: what has committed. */
  const committed = (): string[] =>
    scratch.observer
      .prepare('SELECT text FROM notes ORDER BY text')
      .all()
      .map((row) => String(row.text));

  beforeEach(async () => {
    scratch = await openScratchDatabase(
      'writ-connection-lock-',
      sql`CREATE TABLE notes (text TEXT NOT NULL)`,
      bindNotes,
    );
    db = scratch.db;
  });

  afterEach(() => scratch.close());

  it('refuses a store call on the database from inside a unit at once, and stays usable', async () => {
    const unit = db.transaction(async (tx) => {
      await tx.notes.add('unit');
      return db.notes.texts();
    });
    // Without the refusal the call waits for the group's connection, the group for the unit:
    // it never settles, and neither does anything the database is asked after it.
    const outcome = await outcomeOf(unit);
    expect(outcome).toBeInstanceOf(DatabaseUsedInsideUnitError);
    const error = outcome as DatabaseUsedInsideUnitError;
    expect(error.code).toBe('ERR_DATABASE_USED_INSIDE_UNIT');
    expect(error.message).toContain('db.notes.texts()');
    expect(error.message).not.toMatch(/select|insert|notes"/i);
    // The unit was rolled back; the database answers the next unit and the next root call.
    expect(
      await within(
        db.transaction((tx) => tx.notes.add('after')),
        2000,
      ),
    ).toBeUndefined();
    expect(await within(db.notes.texts(), 2000)).toEqual(['after']);
    expect(committed()).toEqual(['after']);
  });

  it('refuses a unit of work opened from inside a unit', async () => {
    const unit = db.transaction(async (tx) => {
      await tx.notes.add('outer');
      await db.transaction((inner) => inner.notes.add('inner'));
    });
    const outcome = await outcomeOf(unit);
    expect(outcome).toBeInstanceOf(DatabaseUsedInsideUnitError);
    expect((outcome as DatabaseUsedInsideUnitError).message).toContain('db.transaction()');
    expect(
      await within(
        db.transaction((tx) => tx.notes.add('after')),
        2000,
      ),
    ).toBeUndefined();
    expect(committed()).toEqual(['after']);
  });

  it('lets work a unit started but did not wait for use the database once the unit is over', async () => {
    let later: Promise<string[]> | undefined;
    await db.transaction(async (tx) => {
      await tx.notes.add('unit');
      later = new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => db.notes.texts());
    });
    expect(await within(later as Promise<string[]>, 2000)).toEqual(['unit']);
  });

  it('runs a statement on the database only outside any open group: it sees no uncommitted write, and is not rolled back with a unit', async () => {
    const unitWrote = gate();
    const unitMayEnd = gate();
    // Queued in one turn: one group, each unit in its own savepoint.
    const kept = db.transaction((tx) => tx.notes.add('kept'));
    const failing = db.transaction(async (tx) => {
      await tx.notes.add('rolled back');
      unitWrote.open();
      await unitMayEnd.opened;
      throw new Error('the unit fails after its write');
    });
    const failed = failing.catch((error: unknown) => error);
    await unitWrote.opened;

    // Issued while the group is open, between the unit's SAVEPOINT and its ROLLBACK TO.
    const events: string[] = [];
    const read = db.notes.texts().then((texts) => {
      events.push('read');
      return texts;
    });
    const insert = db.notes.add('from the database').then(() => {
      events.push('insert');
      // Answered only once the group's commit is visible from outside, and its own write too.
      return committed();
    });
    await someTurns();
    expect(events).toEqual([]);

    unitMayEnd.open();
    expect(await failed).toBeInstanceOf(Error);
    await kept;
    expect(await read).toEqual(['kept']);
    expect(await insert).toEqual(['from the database', 'kept']);
    expect(events).toEqual(['read', 'insert']);
    expect(committed()).toEqual(['from the database', 'kept']);
  });

  it('answers a write on the database issued while a group is open only after that group committed', async () => {
    const unitWrote = gate();
    const unitMayEnd = gate();
    const unit = db.transaction(async (tx) => {
      await tx.notes.add('unit');
      unitWrote.open();
      await unitMayEnd.opened;
    });
    await unitWrote.opened;
    let answered = false;
    const insert = db.notes.add('from the database').then(() => {
      answered = true;
      return committed();
    });
    await someTurns();
    // Run inside the group it would have been answered now, before the group's COMMIT.
    expect(answered).toBe(false);
    expect(committed()).toEqual([]);
    unitMayEnd.open();
    await unit;
    expect(await insert).toEqual(['from the database', 'unit']);
  });
});
