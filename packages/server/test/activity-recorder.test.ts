import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService } from '../../../test/support/test-service.ts';
import type { ActivityRecord, ActivityType } from '../src/activity/activity-record.ts';
import { createActivityRecorder } from '../src/activity/activity-recorder.ts';
import { openServiceDatabase, type ServiceDatabase } from '../src/app/open-service-database.ts';

let dir: string;
let database: ServiceDatabase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-activity-'));
  database = await openServiceDatabase(`sqlite:${join(dir, 'writ.db')}`);
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

let users = 0;
/** A user for the entries to belong to (activity rows reference their user). */
async function newUser(name: string): Promise<string> {
  const id = `usr_${name}${users++}`;
  await database.db.users.create({
    id,
    email: `${id}@example.com`,
    passwordHash: 'x',
    createdAt: 0,
  });
  return id;
}
const entry = (userId: string, type: ActivityType, at: number): ActivityRecord => ({
  userId,
  sessionId: null,
  type,
  at,
  ip: '127.0.0.1',
  userAgent: 'test',
});

describe('the activity recorder', () => {
  it('writes queued entries in batches of one transaction each, in the order they came', async () => {
    const userId = await newUser('batch');
    const transactions: number[] = [];
    const db = {
      ...database.db,
      transaction: <T>(work: Parameters<typeof database.db.transaction<T>>[0]) =>
        database.db.transaction((tx) => {
          transactions.push(0);
          return work(tx);
        }),
    };
    const recorder = createActivityRecorder({ db, onError: () => {}, batchSize: 4 });
    for (let i = 0; i < 10; i++) {
      recorder.record(entry(userId, i % 3 === 0 ? 'sign_in_failed' : 'refresh', i));
    }
    // Nothing was written while the entries were recorded: the caller never waited for it.
    expect(await database.db.activity.list(userId, 100)).toHaveLength(0);
    await recorder.flush();
    expect(transactions).toHaveLength(3);
    const written = await database.db.activity.list(userId, 100);
    expect(written.map((row) => row.at)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(recorder.stats()).toMatchObject({ queued: 0, written: 10, dropped: 0 });
  });

  it('writes on its own shortly after the first entry', async () => {
    const userId = await newUser('timer');
    const recorder = createActivityRecorder({
      db: database.db,
      onError: () => {},
      flushDelayMs: 5,
    });
    recorder.record(entry(userId, 'refresh', 1));
    await expect
      .poll(() => database.db.activity.list(userId, 10), { timeout: 2_000 })
      .toHaveLength(1);
  });

  it('when full, drops the oldest routine entries first, counts them, and never blocks', async () => {
    const userId = await newUser('full');
    const recorder = createActivityRecorder({ db: database.db, onError: () => {}, capacity: 4 });
    recorder.record(entry(userId, 'refresh', 1));
    recorder.record(entry(userId, 'sign_in_failed', 2));
    recorder.record(entry(userId, 'refresh', 3));
    recorder.record(entry(userId, 'refresh', 4));
    recorder.record(entry(userId, 'sign_in_failed', 5)); // drops 1
    recorder.record(entry(userId, 'refresh', 6)); // drops 3
    expect(recorder.stats()).toMatchObject({ queued: 4, dropped: 2, droppedSecurity: 0 });
    await recorder.flush();
    const written = await database.db.activity.list(userId, 10);
    expect(written.map((row) => row.at)).toEqual([6, 5, 4, 2]);
  });

  it('drops a security entry only when the queue holds nothing else, and counts it apart', async () => {
    const userId = await newUser('sec');
    const recorder = createActivityRecorder({ db: database.db, onError: () => {}, capacity: 2 });
    for (let at = 1; at <= 3; at++) recorder.record(entry(userId, 'sign_in_failed', at));
    expect(recorder.stats()).toMatchObject({ queued: 2, dropped: 1, droppedSecurity: 1 });
    await recorder.flush();
    expect((await database.db.activity.list(userId, 10)).map((row) => row.at)).toEqual([3, 2]);
  });

  it('reports a batch that fails to commit without throwing at the caller', async () => {
    const errors: unknown[] = [];
    const db = {
      ...database.db,
      transaction: () => Promise.reject(new Error('disk full')),
    };
    const recorder = createActivityRecorder({ db, onError: (error) => errors.push(error) });
    recorder.record(entry('usr_lost', 'refresh', 1));
    await recorder.flush();
    expect(errors).toHaveLength(1);
    expect(recorder.stats()).toMatchObject({ failed: 1, written: 0 });
  });
});

describe('activity only for a user that exists', () => {
  it('inserts for a real user and nothing, without failing, for an id no user has', async () => {
    const userId = await newUser('conditional');
    const id = await database.db.activity.recordIfUserExists(entry(userId, 'sign_in_failed', 5));
    expect(id).toBeTypeOf('number');
    expect(await database.db.activity.list(userId, 10)).toMatchObject([
      { userId, type: 'sign_in_failed', at: 5, sessionId: null },
    ]);
    const none = await database.db.activity.recordIfUserExists(
      entry(`usr_${'.'.repeat(22)}`, 'sign_in_failed', 6),
    );
    // A plain insert for that id would have thrown (activity rows reference their user).
    expect(none).toBeUndefined();
  });
});

describe('sign-ins in the activity log (over HTTP)', () => {
  it('records each wrong password once and a correct one as a sign-in only', async () => {
    const service = await startTestService();
    const password = 'correct horse battery staple';
    const email = 'audited@example.com';
    const userId = await service.addUser(email, password);
    try {
      const signedIn = await call(service.url, 'POST', '/auth/sign-in', {
        body: { email, password },
      });
      expect(signedIn.status).toBe(200);
      for (let i = 0; i < 3; i++) {
        const wrong = await call(service.url, 'POST', '/auth/sign-in', {
          body: { email, password: `wrong password ${i}` },
        });
        expect(wrong.status).toBe(401);
      }
      const types = (await service.context.db.activity.list(userId, 10)).map((row) => row.type);
      // The correct sign-in's provisional failure was taken back with its session's commit.
      expect(types).toEqual(['sign_in_failed', 'sign_in_failed', 'sign_in_failed', 'sign_in']);
    } finally {
      await service.destroy();
    }
  });

  it('writes what the recorder queued before the service closes', async () => {
    const service = await startTestService();
    const userId = await service.addUser('queued@example.com', 'correct horse battery staple');
    service.context.activity.record(entry(userId, 'refresh', service.clock.nowMs()));
    await service.close();
    expect(service.context.activity.stats()).toMatchObject({ queued: 0, written: 1, failed: 0 });
    const reopened = await openServiceDatabase(`sqlite:${join(service.dataDir, 'writ.db')}`);
    try {
      expect(await reopened.db.activity.list(userId, 10)).toHaveLength(1);
    } finally {
      await reopened.close();
      rmSync(service.dataDir, { recursive: true, force: true });
    }
  });
});
