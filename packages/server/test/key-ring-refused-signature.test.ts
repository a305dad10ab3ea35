import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { KeyCustodyError } from '../src/keys/errors.ts';
import type { KeyCustody } from '../src/keys/key-custody.ts';
import { KeyRing } from '../src/keys/key-ring.ts';
import { rotateKeys } from '../src/keys/rotate-keys.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { releaseRotationLease, runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { createSealedCustody } from '../src/keys/sealed-custody.ts';
import type { SigningKeyState } from '../src/keys/signing-key-record.ts';

/**
 * Two instances sharing one custody that enforces states, as two services sharing one signer
 * process: the real sealed custody, signing only with keys it was told are active. When one
 * instance rotates, the custody hears the old key is retiring before the other instance's ring
 * has followed the store; that ring's next signature is refused, and it must reload and sign
 * with the new key instead of failing the request.
 */
let service: TestService;
let first: KeyRing;
let second: KeyRing;
const told = new Map<string, SigningKeyState>();

function enforcingCustody(masterKey: Uint8Array): KeyCustody {
  const sealed = createSealedCustody(masterKey);
  return {
    ...sealed,
    kind: sealed.kind,
    async create(alg) {
      const key = await sealed.create(alg);
      told.set(key.kid, 'next');
      return key;
    },
    async stateChanged(key, state) {
      told.set(key.kid, state);
    },
    async open(key) {
      const handle = await sealed.open(key);
      return {
        ...handle,
        async sign(input) {
          if (told.get(key.kid) !== 'active') throw new KeyCustodyError('key_not_active');
          return handle.sign(input);
        },
      };
    },
  };
}

const options = () => ({
  db: service.context.db,
  custody: enforcingCustody(service.context.config.masterKey),
  clock: service.clock,
  signingAlgorithms: ['EdDSA'] as const,
  audienceAlgorithms: new Map(),
});
const request = { typ: 'at+jwt', claims: { aud: 'https://api.writ.test', sub: 'x' } };
const kidOf = async (token: Promise<string>) => decodeProtectedHeader(await token).kid;

beforeAll(async () => {
  service = await startTestService({ WRIT_KEY_ROTATION_DAYS: '1' });
  await releaseRotationLease(service.context);
  first = await KeyRing.open(options());
  second = await KeyRing.open(options());
});
afterAll(async () => {
  await first?.close();
  await second?.close();
  await service.destroy();
});

describe('a signature the custody refuses', () => {
  it('is signed again with the new key when another instance rotated meanwhile', async () => {
    const context = { ...service.context, keyRing: first };
    const oldKid = second.activeKid();
    const { nextKid } = await rotateKeys(context);
    service.clock.advance(rotationTimes(86_400).leadTimeMs);
    // The second ring's polls wait while this runs: it has not followed the store yet.
    await second.whileChanging(async () => {
      expect(await runScheduledRotation(context, { holder: 'first' })).toBe(true);
      expect(told.get(oldKid)).toBe('retiring');
      expect(second.activeKid()).toBe(oldKid);
      expect(await kidOf(second.sign(request))).toBe(nextKid);
    });
    expect(second.activeKid()).toBe(nextKid);
  });

  it('propagates as it was when the store did not move (the custody itself refuses)', async () => {
    const kid = first.activeKid();
    told.set(kid, 'retiring');
    const generation = first.generation();
    const refused = await first.sign(request).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(KeyCustodyError);
    expect(refused).toMatchObject({ message: 'key_not_active' });
    // No reload was needed to find that out.
    expect(first.generation()).toBe(generation);
    told.set(kid, 'active');
    expect(await kidOf(first.sign(request))).toBe(kid);
  });
});
