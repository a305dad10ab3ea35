import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceDatabase, type ServiceDatabase } from '../src/app/open-service-database.ts';
import type { ServiceStores } from '../src/app/stores.ts';
import { randomId } from '../src/platform/crypto/random.ts';
import type { UnitOfWork } from '../src/platform/database/unit-of-work.ts';
import { newRevocations } from '../src/revocation/revocation-policy.ts';
import type { SessionRecord } from '../src/sessions/session-record.ts';

/**
 * The storage contract. It runs against SQLite here; the PostgreSQL backend will run the same
 * cases (the next issue).
 */
let dir: string;
let database: ServiceDatabase;
let storage: UnitOfWork<ServiceStores>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-storage-'));
  database = await openServiceDatabase(`sqlite:${join(dir, 'writ.db')}`);
  storage = database.db;
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newSession(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const userId = randomId('usr');
  await storage.users.create({
    id: userId,
    email: `${userId}@example.com`,
    passwordHash: 'x',
    createdAt: 1,
  });
  const now = Date.now();
  const session: SessionRecord = {
    id: randomId('ses'),
    userId,
    mode: 'body',
    createdAt: now,
    lastUsedAt: now,
    idleExpiresAt: now + 60_000,
    absoluteExpiresAt: now + 120_000,
    revokedAt: null,
    ip: '127.0.0.1',
    userAgent: 'test',
    ...overrides,
  };
  await storage.sessions.create(session);
  return session;
}

function revoke(stores: ServiceStores, session: SessionRecord): Promise<string[]> {
  return stores.sessions.revokeOwned({
    userId: session.userId,
    sessionIds: [session.id],
    cause: 'test',
    nowMs: Date.now(),
    which: 'unrevoked',
  });
}

describe('the SQLite storage', () => {
  it('keeps the database file readable by its owner only', () => {
    expect(statSync(join(dir, 'writ.db')).mode & 0o077).toBe(0);
  });

  it('applies migrations idempotently, under the names released databases recorded', async () => {
    const reopened = await openServiceDatabase(`sqlite:${join(dir, 'writ.db')}`);
    await reopened.close();
    // A database created by the first release holds exactly this row; renaming the migration
    // would make the migrator refuse to open it.
    const raw = new DatabaseSync(join(dir, 'writ.db'));
    try {
      const rows = raw.prepare('SELECT name FROM kysely_migration ORDER BY name').all();
      expect(rows.map((row) => row.name)).toContain('0001_initial');
    } finally {
      raw.close();
    }
  });

  it('lets exactly one of many concurrent consumers rotate a refresh token', async () => {
    const session = await newSession();
    await storage.refreshTokens.insert('hash-1', session.id, Date.now());
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () =>
        storage.transaction((tx) => tx.refreshTokens.consume('hash-1', Date.now())),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'reused')).toHaveLength(24);
    expect(await storage.refreshTokens.consume('hash-unknown', Date.now())).toEqual({
      status: 'unknown',
    });
  });

  it('rolls back every write of a failed transaction', async () => {
    const session = await newSession();
    await expect(
      storage.transaction(async (tx) => {
        await revoke(tx, session);
        await tx.refreshTokens.insert('hash-rollback', session.id, Date.now());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await storage.sessions.find(session.id))?.revokedAt).toBeNull();
    expect(await storage.refreshTokens.consume('hash-rollback', Date.now())).toEqual({
      status: 'unknown',
    });
  });

  it("revokes only the sessions the named user owns, whoever's ids are passed", async () => {
    const mine = await newSession();
    const theirs = await newSession();
    const revoked = await storage.sessions.revokeOwned({
      userId: mine.userId,
      sessionIds: [theirs.id, mine.id],
      cause: 'test',
      nowMs: Date.now(),
      which: 'live',
    });
    expect(revoked).toEqual([mine.id]);
    expect((await storage.sessions.find(theirs.id))?.revokedAt).toBeNull();
  });

  it('leaves an expired session alone when asked for live ones only', async () => {
    const expired = await newSession({ idleExpiresAt: Date.now() - 1 });
    const request = { userId: expired.userId, sessionIds: [expired.id], cause: 'test' } as const;
    const nowMs = Date.now();
    expect(await storage.sessions.revokeOwned({ ...request, nowMs, which: 'live' })).toEqual([]);
    expect(await storage.sessions.revokeOwned({ ...request, nowMs, which: 'unrevoked' })).toEqual([
      expired.id,
    ]);
  });

  it('revokes a session once', async () => {
    const session = await newSession();
    expect(await revoke(storage, session)).toEqual([session.id]);
    expect(await revoke(storage, session)).toEqual([]);
    expect(await storage.sessions.listLive(session.userId, Date.now())).toEqual([]);
  });

  it('lists only live sessions: not revoked, not idle- or absolute-expired', async () => {
    const live = await newSession();
    const now = Date.now();
    await storage.sessions.create({ ...live, id: randomId('ses'), idleExpiresAt: now - 1 });
    await storage.sessions.create({ ...live, id: randomId('ses'), absoluteExpiresAt: now - 1 });
    expect((await storage.sessions.listLive(live.userId, now)).map((s) => s.id)).toEqual([live.id]);
  });

  it('assigns strictly increasing revocation cursors, lists after a cursor, and prunes forgettable entries', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const before = await storage.revocations.head();
    const appended = await storage.transaction((tx) =>
      tx.revocations.append([
        ...newRevocations([{ type: 'jti', value: 'a' }], 'session_deleted', nowSec - 2000),
        ...newRevocations(
          [{ type: 'sub', value: 'usr_x', issuedBefore: nowSec }],
          'sign_out_everywhere',
          nowSec,
        ),
      ]),
    );
    expect(appended.map((e) => e.cursor)).toEqual([before + 1, before + 2]);
    expect(appended[1]?.target).toEqual({ type: 'sub', value: 'usr_x', issuedBefore: nowSec });
    // The old entry is already forgettable, so it is not listed.
    expect((await storage.revocations.listAfter(before, 10, nowSec)).map((e) => e.cursor)).toEqual([
      before + 2,
    ]);
    expect(
      await storage.transaction((tx) => tx.revocations.prune(nowSec, 1000)),
    ).toBeGreaterThanOrEqual(1);
    expect(await storage.revocations.head()).toBe(before + 2);
    // Pruning everything keeps the head, so cursors are never reused.
    await storage.transaction((tx) => tx.revocations.prune(nowSec + 10_000, 1000));
    expect(await storage.revocations.head()).toBe(before + 2);
    const next = await storage.revocations.append(
      newRevocations([{ type: 'kid', value: 'k' }], 'session_deleted', nowSec),
    );
    expect(next[0]?.cursor).toBe(before + 3);
  });

  it('finds API keys by hash and kind, and not once revoked', async () => {
    await storage.apiKeys.create({
      id: randomId('api'),
      kind: 'consumer',
      name: 'mirror',
      keyHash: 'h1',
      createdAt: 1,
      revokedAt: null,
    });
    expect(await storage.apiKeys.findLiveByHash('consumer', 'h1')).toMatchObject({
      name: 'mirror',
    });
    expect(await storage.apiKeys.findLiveByHash('admin', 'h1')).toBeUndefined();
    expect(await storage.apiKeys.revoke('consumer', 'mirror', 2)).toBe(true);
    expect(await storage.apiKeys.findLiveByHash('consumer', 'h1')).toBeUndefined();
  });

  it('prunes activity older than a cut-off and keeps the rest', async () => {
    const session = await newSession();
    const base = { userId: session.userId, sessionId: session.id, ip: '127.0.0.1', userAgent: 't' };
    await storage.activity.record({ ...base, type: 'sign_in', at: 1_000 });
    await storage.activity.record({ ...base, type: 'refresh', at: 5_000 });
    expect(await storage.activity.prune(2_000, 1000)).toBeGreaterThanOrEqual(1);
    expect((await storage.activity.list(session.userId, 10)).map((a) => a.type)).toEqual([
      'refresh',
    ]);
  });

  it('prunes at most the limit per call (activity, throttles, revocations)', async () => {
    const session = await newSession();
    const base = { userId: session.userId, sessionId: session.id, ip: '127.0.0.1', userAgent: 't' };
    for (let i = 0; i < 5; i++) await storage.activity.record({ ...base, type: 'sign_in', at: 10 });
    expect(await storage.activity.prune(100, 3)).toBe(3);
    expect(await storage.activity.list(session.userId, 10)).toHaveLength(2);

    for (let i = 0; i < 5; i++) {
      await storage.throttles.save({
        key: `spent-${i}`,
        failures: 1,
        blockedUntil: 0,
        updatedAt: 10,
      });
    }
    expect(await storage.throttles.prune(100, 100, 3)).toBe(3);
    expect(await storage.throttles.prune(100, 100, 3)).toBe(2);

    const nowSec = Math.floor(Date.now() / 1000);
    await storage.revocations.append(
      newRevocations(
        Array.from({ length: 5 }, (_, i) => ({ type: 'jti' as const, value: `limit-${i}` })),
        'session_deleted',
        nowSec - 2000,
      ),
    );
    const head = await storage.revocations.head();
    // Entries of earlier cases may be forgettable too: count down to none, then the head stays.
    let pruned = await storage.transaction((tx) => tx.revocations.prune(nowSec, 3));
    expect(pruned).toBe(3);
    while (pruned === 3)
      pruned = await storage.transaction((tx) => tx.revocations.prune(nowSec, 3));
    expect(await storage.revocations.head()).toBe(head);
  });
});
