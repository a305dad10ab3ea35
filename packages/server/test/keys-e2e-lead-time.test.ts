import type { RejectReason } from '@writ/core';
import { createVerifier, InvalidTokenError, type Verifier } from '@writ/verify';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BodyTokens, call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { runScheduledRotation } from '../src/keys/scheduled-rotation.ts';

/**
 * The publication lead time (keys/rotation-schedule.ts) at its tightest: a consumer
 * (@writ/verify, remote JWKS) whose last refetch for an unknown kid came just before a next key
 * was published must still take that key at first sight when it starts signing, one lead time
 * later. @writ/verify refetches for an unknown kid at most once per 30 s cooldown, so this fails
 * if the lead time were shorter than the cooldown; it passes only because max-age + 30 s + 2 s is
 * not. The consumer's copy never goes stale meanwhile (its cache lasts at least 60 s), so only the
 * first-sight refetch can bring the key.
 *
 * Time is the global Date (the consumer reads it; the service's clock is Date-based), moved one
 * second at a time, the service's scheduled step run at each second as its timer would.
 */
const rotationPeriodSec = 3;
const password = 'correct horse battery staple';
const email = 'lead-time@example.com';

let service: TestService;
let consumer: Verifier;
let lastReason: RejectReason | undefined;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  service = await startTestService({ WRIT_KEY_ROTATION_SEC: String(rotationPeriodSec) });
  await service.addUser(email, password);
  consumer = createVerifier({
    issuer: service.context.config.issuer,
    audience: service.context.config.audience,
    jwksUri: `${service.url}/.well-known/jwks.json`,
    onReject: ({ reason }) => {
      lastReason = reason;
    },
  });
}, 30_000);

afterAll(async () => {
  await consumer?.close();
  await service?.destroy();
  vi.useRealTimers();
});

async function outcome(token: string): Promise<RejectReason | 'verified'> {
  try {
    await consumer.verify(token);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return lastReason ?? 'internal_error';
  }
}

/** A well-formed token signed by a key the service never published. */
async function tokenOfAnUnknownKey(template: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA');
  const nowSec = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...decodeJwt(template), jti: crypto.randomUUID(), iat: nowSec })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'not-a-published-key' })
    .sign(privateKey);
}

describe('the publication lead time against the unknown-kid cooldown', () => {
  it('a consumer that just spent its refetch on an unknown kid still takes the next key at first sight', async () => {
    const { leadTimeMs } = rotationTimes(rotationPeriodSec);
    const startedAt = Date.now();
    let session: BodyTokens = await signInBody(service.url, email, password);
    vi.setSystemTime(startedAt + 1000);
    // Its first download.
    expect(await outcome(session.access_token)).toBe('verified');

    // The first next key was published at start-up; the second is due at start + one period.
    const publishesSecondAt = startedAt + rotationPeriodSec * 1000;
    vi.setSystemTime(publishesSecondAt - 1);
    // The consumer spends its unknown-kid refetch a millisecond before that key appears.
    expect(await outcome(await tokenOfAnUnknownKey(session.access_token))).toBe('unknown_kid');
    const kidRefetchAt = Date.now();
    const heldKids = new Set(
      (
        (await call(service.url, 'GET', '/.well-known/jwks.json')).body.keys as Array<{
          kid: string;
        }>
      ).map((key) => key.kid),
    );

    // Second by second through two lead times' worth of rotations, a token of the signing key
    // each second, all verified.
    const signingKids: string[] = [];
    const refused: string[] = [];
    for (
      let at = publishesSecondAt;
      at <= publishesSecondAt + leadTimeMs + 3 * rotationPeriodSec * 1000;
      at += 1000
    ) {
      vi.setSystemTime(at);
      await runScheduledRotation(service.context);
      const refreshed = await call(service.url, 'POST', '/auth/refresh', {
        body: { refresh_token: session.refresh_token },
      });
      expect(refreshed.status).toBe(200);
      session = refreshed.body as unknown as BodyTokens;
      const kid = String(decodeProtectedHeader(session.access_token).kid);
      if (signingKids.at(-1) !== kid) signingKids.push(kid);
      const verdict = await outcome(session.access_token);
      if (verdict !== 'verified') refused.push(`+${(at - startedAt) / 1000} s: ${verdict}`);
    }
    expect(refused).toEqual([]);

    // It held none of the keys that signed after the first next key: the one published just
    // after its refetch, at least, came to it only at first sight.
    const firstSightKids = signingKids.filter((kid) => !heldKids.has(kid));
    expect(firstSightKids.length).toBeGreaterThan(0);
    const rows = (
      await call(service.url, 'GET', '/admin/keys', { token: await service.addKey('admin') })
    ).body.keys as Array<{ kid: string; created_at: string; activated_at: string | null }>;
    const tightest = rows.find((row) => row.kid === firstSightKids[0]);
    expect(Date.parse(String(tightest?.created_at))).toBeGreaterThan(kidRefetchAt);
    // Its first token reached the consumer less than two cooldowns after the refetch.
    expect(Date.parse(String(tightest?.activated_at)) - kidRefetchAt).toBeLessThan(60_000);
    console.info(
      `lead time ${leadTimeMs / 1000} s: key published ${Date.parse(String(tightest?.created_at)) - kidRefetchAt} ms after the consumer's unknown-kid refetch, taken at first sight ${(Date.parse(String(tightest?.activated_at)) - kidRefetchAt) / 1000} s after it`,
    );
  });
});
