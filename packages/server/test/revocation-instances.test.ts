import { performance } from 'node:perf_hooks';
import type { RejectReason } from '@writ/core';
import { createVerifier, InvalidTokenError, type Verifier } from '@writ/verify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RunningService, startService } from '../src/app/start-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { newRevocations } from '../src/revocation/revocation-policy.ts';
import { openSse } from './support/sse-reader.ts';

/**
 * Two service instances sharing one SQLite file, as two processes behind a load balancer would:
 * a revocation made through either must reach a consumer that follows the other.
 */
let first: TestService;
let second: RunningService;
let consumerKey: string;
const password = 'correct horse battery staple';
const email = 'two-instances@example.com';

beforeAll(async () => {
  first = await startTestService({ WRIT_REVOCATION_HEARTBEAT: '1' });
  // One issuer for both, as behind a load balancer: each accepts the other's tokens.
  const env = {
    ...first.env,
    WRIT_PORT: String(await freePort()),
    WRIT_ISSUER: first.context.config.issuer,
  };
  second = await startService(loadConfig({ env, cwd: first.dataDir, warn: () => {} }), {
    logger: false,
  });
  consumerKey = await first.addKey('consumer');
  await first.addUser(email, password);
}, 30_000);

afterAll(async () => {
  await second?.close();
  await first?.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a stream of one instance', () => {
  it('delivers an entry committed through another instance, and its heartbeats carry the head of the log', async () => {
    const stream = await openSse(`${first.url}/revocations/stream`, {
      authorization: `Bearer ${consumerKey}`,
    });
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      const tokens = await signInBody(second.url, email, password);
      const sid = decodeJwt(tokens.access_token).sid;
      const signOut = await call(second.url, 'POST', '/auth/sign-out', {
        token: tokens.access_token,
      });
      expect(signOut.status).toBeLessThan(300);
      const committed = performance.now();
      const entry = await stream.waitFor(
        (e) =>
          e.event === 'revocation' &&
          (e.data as { target: { value: string } }).target.value === sid,
        2000,
      );
      // The poll interval is 250 ms; a second is the propagation goal.
      expect(performance.now() - committed).toBeLessThan(1000);
      const head = await second.context.db.revocations.head();
      expect(Number(entry.id)).toBe(head);
      const beats = stream.events.length;
      const beat = await stream.waitFor(
        (e) => e.event === 'heartbeat' && stream.events.indexOf(e) >= beats,
        3000,
      );
      expect(beat.data).toMatchObject({ head, retentionSec: 930, heartbeatSec: 1 });
    } finally {
      stream.close();
    }
  });
});

describe('entries from two writers, interleaved', () => {
  it('reach a stream of one instance in cursor order with none skipped, however they interleave', async () => {
    const from = await first.context.db.revocations.head();
    const stream = await openSse(`${first.url}/revocations/stream?after=${from}`, {
      authorization: `Bearer ${consumerKey}`,
    });
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      const nowSec = Math.floor(Date.now() / 1000);
      let last = from;
      for (let i = 0; i < 30; i++) {
        // The other instance commits without telling this one; this one's own commit notifies its
        // streams at once. Sent straight from the notification, the local entry would overtake.
        await second.context.db.revocations.append(
          newRevocations(
            [{ type: 'jti', value: `elsewhere-${nowSec}-${i}` }],
            'session_deleted',
            nowSec,
          ),
        );
        const local = await first.context.db.revocations.append(
          newRevocations(
            [{ type: 'jti', value: `here-${nowSec}-${i}` }],
            'session_deleted',
            nowSec,
          ),
        );
        first.context.notifier.publish(local);
        last = local.at(-1)?.cursor ?? last;
        if (i % 7 === 0) await sleep(5);
      }
      await stream.waitFor((e) => e.event === 'revocation' && Number(e.id) === last, 3000);
      const ids = stream.events.filter((e) => e.event === 'revocation').map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: last - from }, (_, i) => from + 1 + i));
    } finally {
      stream.close();
    }
  });
});

describe('a verifier following one instance', () => {
  let verifier: Verifier;
  const reasons: RejectReason[] = [];

  beforeAll(() => {
    verifier = createVerifier({
      issuer: first.context.config.issuer,
      audience: first.context.config.audience,
      jwksUri: `${first.url}/.well-known/jwks.json`,
      onReject: ({ reason }) => reasons.push(reason),
      revocations: { uri: first.url, credentials: consumerKey, maxStalenessSec: 3 },
    });
  });
  afterAll(() => verifier?.close());

  const outcome = async (token: string): Promise<RejectReason | 'verified'> => {
    try {
      await verifier.verify(token);
      return 'verified';
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidTokenError);
      return reasons.at(-1) as RejectReason;
    }
  };

  it('refuses, within a second, a token whose session was ended through the other instance', async () => {
    const tokens = await signInBody(first.url, email, password);
    expect(await outcome(tokens.access_token)).toBe('verified');
    const signOut = await call(second.url, 'POST', '/auth/sign-out', {
      token: tokens.access_token,
    });
    expect(signOut.status).toBeLessThan(300);
    const signedOut = performance.now();
    while ((await outcome(tokens.access_token)) !== 'revoked') {
      expect(performance.now() - signedOut, 'refused as revoked within the bound').toBeLessThan(
        3000,
      );
      await sleep(10);
    }
    expect(performance.now() - signedOut).toBeLessThan(1000);
    expect(verifier.revocations?.state()).toMatchObject({ stale: false, retentionSec: 930 });
    expect(verifier.revocations?.state().cursor).toBe(await second.context.db.revocations.head());
  });
});
