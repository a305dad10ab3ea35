import type { RejectReason } from '@writ/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifier, InvalidTokenError } from '../src/index.ts';
import {
  createHostileKit,
  type HostileKit,
  hostileCases,
  hostileVerifierOptions,
} from './support/hostile-tokens.ts';

let kit: HostileKit;
const tokens = new Map<string, string>();

beforeAll(async () => {
  kit = await createHostileKit();
  for (const hostile of hostileCases) tokens.set(hostile.name, await hostile.make(kit));
});

describe('the hostile token table', () => {
  it('has at least 40 distinct attacks', () => {
    expect(hostileCases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(hostileCases.map((c) => c.name)).size).toBe(hostileCases.length);
  });

  it('is thrown at a verifier that accepts the untampered token', async () => {
    const verifier = createVerifier(hostileVerifierOptions(kit));
    await expect(verifier.verify(kit.valid)).resolves.toMatchObject({
      claims: { sub: 'usr_4f9a1c2e7b' },
    });
  });
});

describe.each(hostileCases)('a token with $name', (hostile) => {
  it(`is refused with the one public error, reason ${hostile.reason}`, async () => {
    const reasons: RejectReason[] = [];
    const verifier = createVerifier({
      ...hostileVerifierOptions(kit),
      onReject: ({ reason }) => reasons.push(reason),
    });
    const error = await verifier.verify(tokens.get(hostile.name)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ code: 'invalid_token', message: 'invalid token' });
    expect(reasons).toEqual([hostile.reason]);
  });
});
