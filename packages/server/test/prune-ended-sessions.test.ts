import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { randomId } from '../src/platform/crypto/random.ts';
import { issueRefreshToken } from '../src/refresh-tokens/issue-refresh-token.ts';
import {
  endedSessionRetentionMs,
  pruneEndedSessions,
} from '../src/sessions/prune-ended-sessions.ts';
import { refresh } from '../src/sessions/refresh.ts';

const day = 24 * 3600 * 1000;
const origin = { ip: '127.0.0.1', userAgent: 'test' };

describe('pruning ended sessions and their refresh tokens', () => {
  let service: TestService;
  let userId: string;
  let observer: DatabaseSync;

  beforeEach(async () => {
    service = await startTestService();
    userId = await service.addUser(
      `prune-${randomBytes(6).toString('hex')}@example.com`,
      'correct horse battery staple',
    );
    observer = new DatabaseSync(join(service.dataDir, 'writ.db'));
  });
  afterEach(async () => {
    observer.close();
    await service.destroy();
  });

  const sessionExists = (id: string) =>
    observer.prepare('SELECT 1 FROM sessions WHERE id = ?').get(id) !== undefined;
  const tokensOf = (id: string) =>
    Number(
      observer.prepare('SELECT count(*) AS n FROM refresh_tokens WHERE session_id = ?').get(id)?.n,
    );

  /** A session opened now (the test clock), with one refresh token; returns its id and token. */
  async function openSession(): Promise<{ id: string; token: string }> {
    const { context } = service;
    const now = context.clock.nowMs();
    const id = randomId('ses');
    const token = await context.db.transaction(async (tx) => {
      await tx.sessions.create({
        id,
        userId,
        mode: 'body',
        createdAt: now,
        lastUsedAt: now,
        idleExpiresAt: now + context.config.sessionIdleTtlSec * 1000,
        absoluteExpiresAt: now + context.config.sessionAbsoluteTtlSec * 1000,
        revokedAt: null,
        ip: origin.ip,
        userAgent: origin.userAgent,
      });
      return issueRefreshToken(tx, id, now);
    });
    return { id, token };
  }

  async function rotate(token: string): Promise<string> {
    const result = await refresh(
      service.context,
      { refreshToken: token, transport: 'body' },
      origin,
    );
    if (!result.ok) throw new Error('refresh refused');
    return result.tokens.refreshToken;
  }

  it('keeps a live session and its used tokens, and forgets a revoked one after the retention', async () => {
    const live = await openSession();
    const firstToken = live.token;
    await rotate(await rotate(live.token));
    const revoked = await openSession();
    await service.context.db.transaction((tx) =>
      tx.sessions.revokeOwned({
        userId,
        sessionIds: [revoked.id],
        cause: 'sign_out',
        nowMs: service.clock.nowMs(),
        which: 'live',
      }),
    );

    service.clock.advance(endedSessionRetentionMs - day);
    await pruneEndedSessions(service.context);
    expect(sessionExists(revoked.id)).toBe(true);

    service.clock.advance(2 * day);
    const pruned = await pruneEndedSessions(service.context);
    expect(sessionExists(revoked.id)).toBe(false);
    expect(tokensOf(revoked.id)).toBe(0);
    expect(pruned.sessions).toBeGreaterThanOrEqual(1);
    // Eight days on, the live session is still within its idle lifetime: every token stays, and
    // its first (long used) token is still recognised as reuse, which revokes the session.
    expect(sessionExists(live.id)).toBe(true);
    expect(tokensOf(live.id)).toBe(3);
    const reuse = await refresh(
      service.context,
      { refreshToken: firstToken, transport: 'body' },
      origin,
    );
    expect(reuse.ok).toBe(false);
    const revokedAt = observer.prepare('SELECT revoked_at FROM sessions WHERE id = ?').get(live.id);
    expect(revokedAt?.revoked_at).not.toBeNull();
  });

  it('forgets an idle-expired session only once the retention has passed after its expiry', async () => {
    const idle = await openSession();
    await rotate(idle.token);
    const idleTtlMs = service.context.config.sessionIdleTtlSec * 1000;
    service.clock.advance(idleTtlMs + endedSessionRetentionMs - day);
    await pruneEndedSessions(service.context);
    expect(sessionExists(idle.id)).toBe(true);
    expect(tokensOf(idle.id)).toBe(2);
    service.clock.advance(2 * day);
    await pruneEndedSessions(service.context);
    expect(sessionExists(idle.id)).toBe(false);
    expect(tokensOf(idle.id)).toBe(0);
  });

  it('works through more ended sessions than one batch holds, in one run', async () => {
    const ended: string[] = [];
    for (let i = 0; i < 230; i++) ended.push((await openSession()).id);
    await service.context.db.transaction((tx) =>
      tx.sessions.revokeOwned({
        userId,
        sessionIds: ended,
        cause: 'sign_out',
        nowMs: service.clock.nowMs(),
        which: 'live',
      }),
    );
    service.clock.advance(endedSessionRetentionMs + day);
    await pruneEndedSessions(service.context);
    expect(ended.filter(sessionExists)).toEqual([]);
  });
});
