import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../src/crypto/random.ts';
import { newRevocations } from '../src/revocation/revocation-policy.ts';
import { openStorage } from '../src/storage/open-storage.ts';
import type { SessionRecord } from '../src/storage/records.ts';
import type { Storage } from '../src/storage/storage.ts';

/**
 * The storage contract. It runs against SQLite here; the PostgreSQL backend will run the same
 * cases (the next issue).
 */
let dir: string;
let storage: Storage;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-storage-'));
  storage = await openStorage(`sqlite:${join(dir, 'writ.db')}`);
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

async function newSession(overrides: Partial<SessionRecord> = {}): Promise<SessionRecord> {
  const userId = randomId('usr');
  await storage.createUser({
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
  await storage.createSession(session);
  return session;
}

describe('the SQLite storage', () => {
  it('keeps the database file readable by its owner only', () => {
    expect(statSync(join(dir, 'writ.db')).mode & 0o077).toBe(0);
  });

  it('applies migrations idempotently', async () => {
    await expect(storage.migrate()).resolves.toBeUndefined();
  });

  it('lets exactly one of many concurrent consumers rotate a refresh token', async () => {
    const session = await newSession();
    await storage.insertRefreshToken('hash-1', session.id, Date.now());
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () =>
        storage.transaction((tx) => tx.consumeRefreshToken('hash-1', Date.now())),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'reused')).toHaveLength(24);
    expect(await storage.consumeRefreshToken('hash-unknown', Date.now())).toEqual({
      status: 'unknown',
    });
  });

  it('rolls back every write of a failed transaction', async () => {
    const session = await newSession();
    await expect(
      storage.transaction(async (tx) => {
        await tx.revokeSession(session.id, 'test', Date.now());
        await tx.insertRefreshToken('hash-rollback', session.id, Date.now());
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await storage.findSession(session.id))?.revokedAt).toBeNull();
    expect(await storage.consumeRefreshToken('hash-rollback', Date.now())).toEqual({
      status: 'unknown',
    });
  });

  it('revokes a session once', async () => {
    const session = await newSession();
    expect(await storage.revokeSession(session.id, 'test', Date.now())).toBe(true);
    expect(await storage.revokeSession(session.id, 'test', Date.now())).toBe(false);
    expect(await storage.listLiveSessions(session.userId, Date.now())).toEqual([]);
  });

  it('lists only live sessions: not revoked, not idle- or absolute-expired', async () => {
    const live = await newSession();
    const now = Date.now();
    await storage.createSession({ ...live, id: randomId('ses'), idleExpiresAt: now - 1 });
    await storage.createSession({ ...live, id: randomId('ses'), absoluteExpiresAt: now - 1 });
    expect((await storage.listLiveSessions(live.userId, now)).map((s) => s.id)).toEqual([live.id]);
  });

  it('assigns strictly increasing revocation cursors, lists after a cursor, and prunes forgettable entries', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const before = await storage.revocationHead();
    const appended = await storage.transaction((tx) =>
      tx.appendRevocations([
        ...newRevocations([{ type: 'jti', value: 'a' }], 'admin', nowSec - 2000),
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
    expect((await storage.listRevocationsAfter(before, 10, nowSec)).map((e) => e.cursor)).toEqual([
      before + 2,
    ]);
    expect(await storage.pruneRevocations(nowSec)).toBeGreaterThanOrEqual(1);
    expect(await storage.revocationHead()).toBe(before + 2);
    // Pruning everything keeps the head, so cursors are never reused.
    await storage.pruneRevocations(nowSec + 10_000);
    expect(await storage.revocationHead()).toBe(before + 2);
    const next = await storage.appendRevocations(
      newRevocations([{ type: 'kid', value: 'k' }], 'key_compromised', nowSec),
    );
    expect(next[0]?.cursor).toBe(before + 3);
  });

  it('finds API keys by hash and kind, and not once revoked', async () => {
    await storage.createApiKey({
      id: randomId('api'),
      kind: 'consumer',
      name: 'mirror',
      keyHash: 'h1',
      createdAt: 1,
      revokedAt: null,
    });
    expect(await storage.findApiKeyByHash('consumer', 'h1')).toMatchObject({ name: 'mirror' });
    expect(await storage.findApiKeyByHash('admin', 'h1')).toBeUndefined();
    expect(await storage.revokeApiKey('consumer', 'mirror', 2)).toBe(true);
    expect(await storage.findApiKeyByHash('consumer', 'h1')).toBeUndefined();
  });

  it('prunes activity older than a cut-off and keeps the rest', async () => {
    const session = await newSession();
    const base = { userId: session.userId, sessionId: session.id, ip: '127.0.0.1', userAgent: 't' };
    await storage.recordActivity({ ...base, type: 'sign_in', at: 1_000 });
    await storage.recordActivity({ ...base, type: 'refresh', at: 5_000 });
    expect(await storage.pruneActivity(2_000)).toBeGreaterThanOrEqual(1);
    expect((await storage.listActivity(session.userId, 10)).map((a) => a.type)).toEqual([
      'refresh',
    ]);
  });
});
