import { performance } from 'node:perf_hooks';
import type { RejectReason } from '@writ/core';
import { createVerifier, InvalidTokenError, type Verifier } from '@writ/verify';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { rotateKeysNow } from '../src/keys/emergency-rotation.ts';
import { KeyRotationError } from '../src/keys/errors.ts';
import { listKeys } from '../src/keys/list-keys.ts';
import { rotateKeys } from '../src/keys/rotate-keys.ts';

/**
 * A leaked key: emergency rotation withdraws it at once. No token it signed is accepted after
 * the event — by the service itself at once, by a consumer with the revocation mirror within a
 * second, by one without it from its next JWKS fetch — and no session is lost: the next refresh
 * gets a token from the new key.
 */
let service: TestService;
let consumerKey: string;
let mirrored: Verifier;
const reasons: RejectReason[] = [];
const email = 'leak@example.com';
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService({ WRIT_REVOCATION_HEARTBEAT: '1' });
  consumerKey = await service.addKey('consumer');
  await service.addUser(email, password);
  mirrored = consumer(true);
});
afterAll(async () => {
  await mirrored?.close();
  await service.destroy();
});

function consumer(withMirror: boolean): Verifier {
  return createVerifier({
    issuer: service.context.config.issuer,
    audience: service.context.config.audience,
    jwksUri: `${service.url}/.well-known/jwks.json`,
    onReject: ({ reason }) => reasons.push(reason),
    ...(withMirror
      ? { revocations: { uri: service.url, credentials: consumerKey, maxStalenessSec: 3 } }
      : {}),
  });
}

async function outcome(verifier: Verifier, token: string): Promise<RejectReason | 'verified'> {
  try {
    await verifier.verify(token);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return reasons.at(-1) as RejectReason;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const sessions = (token: string) => call(service.url, 'GET', '/auth/sessions', { token });
const publishedKids = async (): Promise<string[]> =>
  (
    (await call(service.url, 'GET', '/.well-known/jwks.json')).body.keys as Array<{ kid: string }>
  ).map((key) => key.kid);

describe('emergency rotation', () => {
  it('refuses every token of the withdrawn key at once and keeps every session', async () => {
    const phone = await signInBody(service.url, email, password);
    const laptop = await signInBody(service.url, email, password);
    const leaked = String(kidOf(phone.access_token));
    const unmirrored = consumer(false);
    try {
      expect(await outcome(mirrored, phone.access_token)).toBe('verified');
      expect(await outcome(unmirrored, phone.access_token)).toBe('verified');
      expect((await sessions(phone.access_token)).status).toBe(200);

      const { activeKids, withdrawnKids } = await rotateKeysNow(service.context, {
        emergency: true,
      });
      const rotatedAt = performance.now();
      expect(withdrawnKids).toEqual([leaked]);
      expect(activeKids).toHaveLength(1);
      expect(activeKids[0]).not.toBe(leaked);

      // The service: at once, for every route its own verifier guards.
      expect((await sessions(phone.access_token)).status).toBe(401);
      expect((await sessions(laptop.access_token)).status).toBe(401);
      // The JWKS: withdrawn at once, the new key in its place.
      expect(await publishedKids()).toEqual(activeKids);
      // A consumer with the mirror: within a second, by the kid entry.
      while ((await outcome(mirrored, laptop.access_token)) !== 'revoked') {
        expect(performance.now() - rotatedAt, 'revoked within the bound').toBeLessThan(3000);
        await sleep(10);
      }
      // Within a second by design (the log is read every 250 ms); 2 s more for a loaded machine
      // (CI: ~100 files on 2 cores). The loop above already fails a mirror that never refuses.
      expect(performance.now() - rotatedAt).toBeLessThan(250 + 2000);
      // A consumer without it, from its next JWKS fetch (a fresh one here): the kid is unknown.
      const refetched = consumer(false);
      expect(await outcome(refetched, phone.access_token)).not.toBe('verified');
      await refetched.close();

      // The entry names the kid, says why, and is kept as long as any of its tokens could pass.
      const log = await call(service.url, 'GET', '/revocations', { token: consumerKey });
      const entry = (
        log.body.entries as Array<{
          target: { type: string; value: string };
          cause: string;
          revokedAt: number;
          forgetAfter: number;
        }>
      ).find((e) => e.target.type === 'kid');
      expect(entry).toMatchObject({
        target: { type: 'kid', value: leaked },
        cause: 'key_compromised',
      });
      expect((entry?.forgetAfter ?? 0) - (entry?.revokedAt ?? 0)).toBe(900 + 30);

      // No session lost: each device's next refresh gets a token from the new key, accepted everywhere.
      for (const device of [phone, laptop]) {
        const refreshed = await call(service.url, 'POST', '/auth/refresh', {
          body: { refresh_token: device.refresh_token },
        });
        expect(refreshed.status).toBe(200);
        const token = String(refreshed.body.access_token);
        expect(kidOf(token)).toBe(activeKids[0]);
        expect((await sessions(token)).status).toBe(200);
        expect(await outcome(mirrored, token)).toBe('verified');
      }
      const listed = await sessions(
        String(
          (
            await call(service.url, 'POST', '/auth/refresh', {
              body: {
                refresh_token: (await signInBody(service.url, email, password)).refresh_token,
              },
            })
          ).body.access_token,
        ),
      );
      expect((listed.body.sessions as unknown[]).length).toBe(3);
    } finally {
      await unmirrored.close();
    }

    const stored = await listKeys(service.context);
    expect(stored.find((key) => key.kid === leaked)).toMatchObject({ state: 'retired' });
    const [retired] = (await service.context.db.signingKeys.list(['retired'])).filter(
      (key) => key.kid === leaked,
    );
    expect(retired?.sealedPrivateJwk).toBe('');
  });

  it('withdraws a named next key without a replacement, and refuses a kid that is not published', async () => {
    const active = service.context.keyRing.activeKids();
    const unknown = await rotateKeysNow(service.context, {
      emergency: true,
      kid: 'no-such-kid',
    }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(KeyRotationError);
    expect(unknown).toMatchObject({ code: 'ERR_KEY_NOT_PUBLISHED' });
    const retired = (await listKeys(service.context)).find((key) => key.state === 'retired');
    await expect(
      rotateKeysNow(service.context, { emergency: true, kid: retired?.kid ?? '' }),
    ).rejects.toMatchObject({ code: 'ERR_KEY_NOT_PUBLISHED' });
    expect(service.context.keyRing.activeKids()).toEqual(active);

    const { nextKid } = await rotateKeys(service.context);
    const before = (await listKeys(service.context)).length;
    const result = await rotateKeysNow(service.context, { emergency: true, kid: nextKid });
    expect(result).toEqual({ activeKids: active, withdrawnKids: [nextKid] });
    // Nothing signed with it, so nothing replaces it: no key was added.
    expect(await listKeys(service.context)).toHaveLength(before);
    expect(await publishedKids()).not.toContain(nextKid);
  });
});
