import { createVerifier } from '@writ/verify';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { activateKey } from '../src/keys/activate-key.ts';
import { KeyActivationError } from '../src/keys/errors.ts';
import { publishNextKey } from '../src/keys/publish-next-key.ts';

let service: TestService;
const email = 'keys@example.com';
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
  await service.addUser(email, password);
});
afterAll(() => service.destroy());

const publishedKids = async (): Promise<string[]> => {
  const jwks = await call(service.url, 'GET', '/.well-known/jwks.json');
  return (jwks.body.keys as Array<{ kid: string }>).map((key) => key.kid);
};
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const sessionsWith = (token: string) => call(service.url, 'GET', '/auth/sessions', { token });

describe('the key ring, changed while the service runs', () => {
  it('publishes a next key, then signs with it once activated, and its own routes follow without a restart', async () => {
    const before = await signInBody(service.url, email, password);
    const oldKid = kidOf(before.access_token);
    expect(await publishedKids()).toEqual([oldKid]);

    const nextKid = await publishNextKey(service.context);
    expect(await publishedKids()).toEqual([oldKid, nextKid]);
    // Published, not signing: consumers can fetch it before any token it signs reaches them.
    const whileNext = await signInBody(service.url, email, password);
    expect(kidOf(whileNext.access_token)).toBe(oldKid);

    const activatedFrom = service.clock.nowMs();
    await activateKey(service.context, nextKid);
    const activatedUntil = service.clock.nowMs();
    const after = await signInBody(service.url, email, password);
    expect(kidOf(after.access_token)).toBe(nextKid);
    // The old key is retiring: still published, so the tokens it signed keep verifying.
    expect(await publishedKids()).toEqual([oldKid, nextKid]);

    // The service's own session routes accept the new key's token (its verifier was rebuilt)
    // and still accept the old key's.
    expect((await sessionsWith(after.access_token)).status).toBe(200);
    expect((await sessionsWith(before.access_token)).status).toBe(200);

    // A consumer fetching the JWKS now accepts both too.
    const consumer = createVerifier({
      issuer: service.url,
      audience: 'https://api.writ.test',
      jwksUri: `${service.url}/.well-known/jwks.json`,
    });
    await expect(consumer.verify(after.access_token)).resolves.toBeDefined();
    await expect(consumer.verify(before.access_token)).resolves.toBeDefined();

    // Stored states: one active, the one before it retiring.
    const stored = await service.context.db.signingKeys.list(['next', 'active', 'retiring']);
    expect(stored.map((key) => [key.kid, key.state])).toEqual([
      [oldKid, 'retiring'],
      [nextKid, 'active'],
    ]);
    // The activation time comes from the service's clock.
    expect(stored[1]?.activatedAt).toBeGreaterThanOrEqual(activatedFrom);
    expect(stored[1]?.activatedAt).toBeLessThanOrEqual(activatedUntil);
  });

  it('activates only a published next key: an unknown, active or retiring kid changes nothing', async () => {
    const stored = await service.context.db.signingKeys.list(['active', 'retiring']);
    const generation = service.context.signer.generation();
    for (const kid of ['no-such-kid', ...stored.map((key) => key.kid)]) {
      const refused = await activateKey(service.context, kid).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(KeyActivationError);
      expect(refused).toMatchObject({ code: 'ERR_KEY_NOT_NEXT' });
    }
    expect(await service.context.db.signingKeys.list(['active', 'retiring'])).toEqual(stored);
    expect(service.context.signer.generation()).toBe(generation);
  });
});
