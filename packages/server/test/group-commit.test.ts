import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { createUnitOfWork, type UnitOfWork } from '../src/platform/database/unit-of-work.ts';
import { refresh } from '../src/sessions/refresh.ts';
import { openScratchDatabase, type ScratchDatabase } from './support/scratch-database.ts';

const password = 'correct horse battery staple';

interface NotesTables {
  notes: { id: number; text: string };
}

interface NotesStores {
  readonly notes: { add(id: number, text: string): Promise<void> };
}

const bindNotes = (db: Kysely<NotesTables>): NotesStores => ({
  notes: {
    async add(id, text) {
      await db.insertInto('notes').values({ id, text }).execute();
    },
  },
});

describe('the unit of work commits concurrent units together', () => {
  let scratch: ScratchDatabase<NotesTables, NotesStores>;
  let db: UnitOfWork<NotesStores>;

  /** What a second connection sees, as another process would see the file. */
  const committedIds = (): number[] =>
    scratch.observer
      .prepare('SELECT id FROM notes ORDER BY id')
      .all()
      .map((row) => Number(row.id));

  beforeEach(async () => {
    scratch = await openScratchDatabase(
      'writ-group-commit-',
      sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`,
      bindNotes,
    );
    db = scratch.db;
  });

  afterEach(() => scratch.close());

  it('answers units that arrive together after one commit that holds all of them', async () => {
    const seenAtFirstAnswer = await Promise.race(
      Array.from({ length: 10 }, (_, id) =>
        db.transaction((tx) => tx.notes.add(id, `note ${id}`)).then(committedIds),
      ),
    );
    // One unit per transaction would answer the first caller while the other nine are still
    // uncommitted; a group answers nobody before all ten are on disk.
    expect(seenAtFirstAnswer).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('answers each unit only once its writes are visible to another connection', async () => {
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, id) =>
        db.transaction((tx) => tx.notes.add(id, 'x')).then(() => committedIds().includes(id)),
      ),
    );
    expect(seen.every(Boolean)).toBe(true);
  });

  it('rolls back a failing unit alone: the others of its group commit', async () => {
    await db.transaction((tx) => tx.notes.add(100, 'taken'));
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((id) =>
        db.transaction(async (tx) => {
          await tx.notes.add(id, 'kept unless it fails');
          // Unit 3 writes, then fails in the store (a constraint) — its own row must go too.
          if (id === 3) await tx.notes.add(100, 'duplicate');
          return id;
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(committedIds()).toEqual([1, 2, 4, 5, 100]);
  });

  it('rolls back a unit that throws by itself and rejects it with its own error', async () => {
    const failure = new Error('the flow refused');
    const outcomes = await Promise.allSettled([
      db.transaction(async (tx) => {
        await tx.notes.add(7, 'written, then abandoned');
        throw failure;
      }),
      db.transaction((tx) => tx.notes.add(8, 'kept')),
    ]);
    expect(outcomes[0]).toEqual({ status: 'rejected', reason: failure });
    expect(outcomes[1]?.status).toBe('fulfilled');
    expect(committedIds()).toEqual([8]);
  });

  it('keeps at most the configured number of units in one commit', async () => {
    const small = createUnitOfWork(scratch.kysely, bindNotes, { maxUnitsPerCommit: 2 });
    const seenAtFirstAnswer = await Promise.race(
      [1, 2, 3, 4, 5].map((id) =>
        small.transaction((tx) => tx.notes.add(id, 'x')).then(committedIds),
      ),
    );
    expect(seenAtFirstAnswer).toEqual([1, 2]);
  });
});

describe('refreshes that share one group commit', () => {
  let service: TestService;
  beforeEach(async () => {
    service = await startTestService();
  });
  afterEach(async () => {
    await service.destroy();
  });

  it('give exactly one winner for one token, revoke its session, and leave other sessions rotating', async () => {
    await service.addUser('group@example.com', password);
    const contested = await signInBody(service.url, 'group@example.com', password);
    const bystanders = [
      await signInBody(service.url, 'group@example.com', password),
      await signInBody(service.url, 'group@example.com', password),
    ];
    const origin = { ip: '127.0.0.1', userAgent: 'test' };
    const spend = (refreshToken: string) =>
      refresh(service.context, { refreshToken, transport: 'body' }, origin);
    // Started in one turn of the event loop, so all of them are units of the same group.
    const [contests, others] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => spend(contested.refresh_token))),
      Promise.all(bystanders.map((tokens) => spend(tokens.refresh_token))),
    ]);
    const winners = contests.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    expect(others.every((result) => result.ok)).toBe(true);
    const winner = winners[0];
    if (winner?.ok !== true) throw new Error('no winner');
    // The losers saw reuse: the contested session is revoked, the winner's new token with it.
    expect((await spend(winner.tokens.refreshToken)).ok).toBe(false);
    for (const result of others) {
      if (!result.ok) throw new Error('a bystander failed');
      expect((await spend(result.tokens.refreshToken)).ok).toBe(true);
    }
  });
});
