import { randomBytes } from 'node:crypto';
import type { RejectReason } from '@writ/core';
import { SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ed25519, p256, rsa, type SigningKey } from '../../../test/support/keys.ts';
import {
  ConfigurationError,
  createVerifier,
  InsufficientScopeError,
  InvalidTokenError,
  type VerifierOptions,
} from '../src/index.ts';
import { signatureStats } from '../src/signature.ts';
import { startRevocationServer } from './support/revocation-server.ts';
import { audience, issuer, nowSec, sign, validClaims } from './support/tokens.ts';

let ed: SigningKey;
let es: SigningKey;
let rs: SigningKey;
let base: VerifierOptions;

beforeAll(async () => {
  [ed, es, rs] = await Promise.all([ed25519('ed-1'), p256('es-1'), rsa('rs-1')]);
  base = { issuer, audience, jwks: { keys: [ed.publicJwk, es.publicJwk, rs.publicJwk] } };
});

afterEach(() => {
  vi.useRealTimers();
});

async function reasonFor(
  options: VerifierOptions,
  token: string,
): Promise<RejectReason | 'accepted'> {
  const reasons: RejectReason[] = [];
  const verifier = createVerifier({ ...options, onReject: ({ reason }) => reasons.push(reason) });
  try {
    await verifier.verify(token);
    return 'accepted';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return reasons[0] ?? 'accepted';
  }
}

describe('createVerifier refuses configuration that would weaken it', () => {
  const secret = randomBytes(32);
  const cases: Array<[string, () => Record<string, unknown>]> = [
    ['no issuer', () => ({ issuer: '' })],
    ['no audience', () => ({ audience: [] })],
    ['an empty audience', () => ({ audience: '' })],
    ['alg none', () => ({ algorithms: ['none' as never] })],
    ['alg None', () => ({ algorithms: ['EdDSA', 'None' as never] })],
    ['alg NONE', () => ({ algorithms: ['NONE' as never] })],
    ['an unknown algorithm', () => ({ algorithms: ['ES256K' as never] })],
    ['no algorithms', () => ({ algorithms: [] })],
    ['HMAC with a key set', () => ({ algorithms: ['HS256'] })],
    ['a secret without algorithms', () => ({ jwks: undefined, secret })],
    [
      'a secret with an asymmetric algorithm',
      () => ({ jwks: undefined, secret, algorithms: ['HS256', 'EdDSA'] }),
    ],
    [
      'a secret under 256 bits',
      () => ({ jwks: undefined, secret: randomBytes(31), algorithms: ['HS256'] }),
    ],
    [
      'a secret shorter than the HS512 hash',
      () => ({ jwks: undefined, secret, algorithms: ['HS512'] }),
    ],
    [
      'a secret given as a string',
      () => ({ jwks: undefined, secret: 'x'.repeat(64) as never, algorithms: ['HS256'] }),
    ],
    ['a secret and a key set', () => ({ secret, algorithms: ['HS256'] })],
    ['a key set and a jwksUri', () => ({ jwksUri: 'https://issuer.writ.test/jwks' })],
    ['no key source at all', () => ({ jwks: undefined })],
    [
      'plain http to a remote host',
      () => ({ jwks: undefined, jwksUri: 'http://issuer.writ.test/jwks' }),
    ],
    ['a relative jwksUri', () => ({ jwks: undefined, jwksUri: '/jwks' })],
    ['clock tolerance over 30 s', () => ({ clockToleranceSec: 31 })],
    ['negative clock tolerance', () => ({ clockToleranceSec: -1 })],
    ['clock tolerance NaN', () => ({ clockToleranceSec: Number.NaN })],
    ['max age 0', () => ({ maxTokenAgeSec: 0 })],
    ['a token size cap above 64 KiB', () => ({ maxTokenBytes: 1024 * 1024 })],
    ['no token types', () => ({ tokenTypes: [] })],
    ['a scope with a space', () => ({ requiredScopes: ['read write'] })],
    [
      'a JWKS cooldown under 30 s',
      () => ({ jwks: undefined, jwksUri: 'https://i.test/jwks', jwksFetch: { cooldownSec: 5 } }),
    ],
  ];

  it.each(cases)('with %s', (_name, change) => {
    expect(() => createVerifier({ ...base, ...change() } as VerifierOptions)).toThrow(
      ConfigurationError,
    );
  });
});

describe('verify accepts what it should', () => {
  it('accepts EdDSA and ES256 by default and returns frozen claims', async () => {
    const verifier = createVerifier(base);
    for (const key of [ed, es]) {
      const claims = validClaims();
      const { claims: verified, header } = await verifier.verify(await sign(key, claims));
      expect(verified).toEqual(claims);
      expect(header).toEqual({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
      expect(Object.isFrozen(verified)).toBe(true);
      expect(() => {
        (verified as Record<string, unknown>).sub = 'admin';
      }).toThrow(TypeError);
    }
  });

  it('refuses RS256 by default and accepts it when allowed', async () => {
    const token = await sign(rs);
    expect(await reasonFor(base, token)).toBe('alg_not_allowed');
    expect(await reasonFor({ ...base, algorithms: ['RS256'] }, token)).toBe('accepted');
  });

  it('accepts HS256 in explicit shared-secret mode, and only with that secret', async () => {
    const secret = randomBytes(32);
    const options = { issuer, audience, secret, algorithms: ['HS256'] } as const;
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(secret);
    expect(await reasonFor(options, token)).toBe('accepted');
    expect(await reasonFor({ ...options, secret: randomBytes(32) }, token)).toBe('bad_signature');
  });

  it('accepts an audience list that contains ours, and any of several configured audiences', async () => {
    const token = await sign(ed, validClaims({ aud: ['https://other.writ.test', audience] }));
    expect(await reasonFor(base, token)).toBe('accepted');
    const other = await sign(ed, validClaims({ aud: 'https://other.writ.test' }));
    expect(
      await reasonFor({ ...base, audience: [audience, 'https://other.writ.test'] }, other),
    ).toBe('accepted');
  });

  it('compares typ as a media type: case-insensitive, application/ prefix optional', async () => {
    for (const typ of ['AT+JWT', 'application/at+jwt', 'Application/At+Jwt']) {
      expect(await reasonFor(base, await sign(ed, validClaims(), { typ }))).toBe('accepted');
    }
  });

  it('accepts other token types only when configured', async () => {
    const token = await sign(ed, validClaims(), { typ: 'JWT' });
    expect(await reasonFor(base, token)).toBe('typ_mismatch');
    expect(await reasonFor({ ...base, tokenTypes: ['JWT'] }, token)).toBe('accepted');
  });

  it('honours the clock tolerance, and only up to it', async () => {
    const now = nowSec();
    const justExpired = await sign(
      ed,
      validClaims({ iat: now - 600, nbf: now - 600, exp: now - 3 }),
    );
    expect(await reasonFor(base, justExpired)).toBe('accepted');
    expect(await reasonFor({ ...base, clockToleranceSec: 0 }, justExpired)).toBe('expired');
    const slightlyAhead = await sign(ed, validClaims({ iat: now + 3, nbf: now + 3 }));
    expect(await reasonFor(base, slightlyAhead)).toBe('accepted');
    expect(await reasonFor({ ...base, clockToleranceSec: 0 }, slightlyAhead)).toBe('not_yet_valid');
  });

  it('refuses a token larger than a configured cap before parsing it', async () => {
    const token = await sign(ed, validClaims({ pad: 'x'.repeat(600) }));
    expect(await reasonFor({ ...base, maxTokenBytes: 512 }, token)).toBe('too_large');
  });

  it('refuses values that are not strings at all', async () => {
    const verifier = createVerifier(base);
    for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
      await expect(verifier.verify(value)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });
});

describe('scopes', () => {
  it('throws InsufficientScopeError, not InvalidTokenError, for a valid token lacking a scope', async () => {
    const token = await sign(ed, validClaims({ scope: 'read' }));
    const verifier = createVerifier({ ...base, requiredScopes: ['read'] });
    await expect(verifier.verify(token)).resolves.toBeDefined();
    const error = await verifier
      .verify(token, { requiredScopes: ['write'] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientScopeError);
    expect((error as InsufficientScopeError).requiredScopes).toEqual(['read', 'write']);
    await expect(
      createVerifier({ ...base, requiredScopes: ['admin'] }).verify(token),
    ).rejects.toBeInstanceOf(InsufficientScopeError);
  });

  it('does not treat a scope prefix or substring as the scope', async () => {
    const token = await sign(ed, validClaims({ scope: 'read:all administrator' }));
    const verifier = createVerifier(base);
    for (const scope of ['read', 'admin', 'all']) {
      await expect(verifier.verify(token, { requiredScopes: [scope] })).rejects.toBeInstanceOf(
        InsufficientScopeError,
      );
    }
  });
});

describe('the verified-token cache', () => {
  it('still checks expiry on every call: a cached token is refused once it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-01-01T00:00:00Z');
    vi.setSystemTime(start);
    const reasons: RejectReason[] = [];
    const verifier = createVerifier({ ...base, onReject: ({ reason }) => reasons.push(reason) });
    const token = await sign(ed, validClaims({ exp: nowSec() + 60 }));
    await expect(verifier.verify(token)).resolves.toBeDefined();
    vi.setSystemTime(start.getTime() + 30_000);
    await expect(verifier.verify(token)).resolves.toBeDefined();
    vi.setSystemTime(start.getTime() + 66_000);
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(reasons).toEqual(['expired']);
  });

  it('still checks the maximum age on every call', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = new Date('2030-01-01T00:00:00Z');
    vi.setSystemTime(start);
    const verifier = createVerifier({ ...base, maxTokenAgeSec: 60 });
    const token = await sign(ed, validClaims({ exp: nowSec() + 900 }));
    await expect(verifier.verify(token)).resolves.toBeDefined();
    vi.setSystemTime(start.getTime() + 70_000);
    await expect(verifier.verify(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('returns the same frozen result for a cached token without checking the signature again', async () => {
    const verifier = createVerifier(base);
    const token = await sign(ed);
    const first = await verifier.verify(token);
    const before = signatureStats().checked;
    const second = await verifier.verify(token);
    expect(second).toBe(first);
    expect(signatureStats().checked).toBe(before);
  });

  it('never lets a token borrow the cache entry of another token with the same signature', async () => {
    const verifier = createVerifier(base);
    const token = await sign(ed);
    await verifier.verify(token);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(validClaims({ sub: 'admin' }))).toString('base64url')}.${signature}`;
    expect(await reasonFor(base, forged)).toBe('bad_signature');
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(verifier.verify(token)).resolves.toBeDefined();
  });

  it('checks every signature when the cache is off', async () => {
    const verifier = createVerifier({ ...base, cacheSize: 0 });
    const token = await sign(ed);
    await verifier.verify(token);
    const before = signatureStats().checked;
    await verifier.verify(token);
    expect(signatureStats().checked).toBe(before + 1);
  });

  it('never imports a key per verify', async () => {
    const verifier = createVerifier({ ...base, cacheSize: 0 });
    await verifier.verify(await sign(ed));
    const importSpy = vi.spyOn(crypto.subtle, 'importKey');
    for (let i = 0; i < 20; i++) await verifier.verify(await sign(ed));
    expect(importSpy).not.toHaveBeenCalled();
    importSpy.mockRestore();
  });
});

describe('headers and scopes shared by many tokens', () => {
  it('are checked once and shared, frozen, by every token that carries the same ones', async () => {
    const verifier = createVerifier({ ...base, cacheSize: 0 });
    const first = await verifier.verify(await sign(ed, validClaims({ scope: 'read write' })));
    const second = await verifier.verify(await sign(ed, validClaims({ scope: 'read write' })));
    expect(second.claims.jti).not.toBe(first.claims.jti);
    expect(second.header).toBe(first.header);
    expect(second.scopes).toBe(first.scopes);
    expect(Object.isFrozen(first.header)).toBe(true);
    expect(Object.isFrozen(first.scopes)).toBe(true);
    expect([...first.scopes]).toEqual(['read', 'write']);
    const other = await verifier.verify(await sign(ed, validClaims({ scope: 'read' })));
    expect([...other.scopes]).toEqual(['read']);
    const none = await verifier.verify(await sign(ed, validClaims({ scope: undefined })));
    expect(none.scopes.size).toBe(0);
  });

  it('cannot have their scopes changed, even through a cast, for this or any other token', async () => {
    const verifier = createVerifier(base);
    const first = await verifier.verify(await sign(ed, validClaims({ scope: 'read' })));
    const writable = first.scopes as Set<string>;
    expect(() => writable.add('admin')).toThrow(TypeError);
    expect(() => writable.delete('read')).toThrow(TypeError);
    expect(() => writable.clear()).toThrow(TypeError);
    const second = await verifier.verify(await sign(ed, validClaims({ scope: 'read' })));
    expect([...second.scopes]).toEqual(['read']);
    await expect(
      verifier.verify(await sign(ed, validClaims({ scope: 'read' })), {
        requiredScopes: ['admin'],
      }),
    ).rejects.toBeInstanceOf(InsufficientScopeError);
    const none = await verifier.verify(await sign(ed, validClaims({ scope: undefined })));
    expect(() => (none.scopes as Set<string>).add('admin')).toThrow(TypeError);
  });

  it('never lets a remembered header stand for a bad signature, or for another key with its kid', async () => {
    const reasons: RejectReason[] = [];
    const verifier = createVerifier({
      ...base,
      cacheSize: 0,
      onReject: ({ reason }) => reasons.push(reason),
    });
    const token = await sign(ed);
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature?.slice(0, 10)}${signature?.[10] === 'A' ? 'B' : 'A'}${signature?.slice(11)}`;
    await expect(verifier.verify(`${header}.${payload}.${flipped}`)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
    // The same header, byte for byte, signed by a key the set does not hold: the remembered
    // header spares its decoding, never the key lookup or the signature. (A key withdrawn from a
    // remote set: key-rotation.test.ts.)
    const impostor = await ed25519(ed.kid);
    const forged = await sign(impostor);
    expect(forged.split('.')[0]).toBe(header);
    await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidTokenError);
    expect(reasons).toEqual(['bad_signature', 'bad_signature']);
  });
});

describe('onReject', () => {
  it('learns the reason but never the token', async () => {
    const events: unknown[] = [];
    const verifier = createVerifier({ ...base, onReject: (event) => events.push(event) });
    const token = await sign(ed, validClaims({ iss: 'https://evil.example' }));
    await expect(verifier.verify(token)).rejects.toThrow('invalid token');
    expect(events).toEqual([{ reason: 'issuer_mismatch' }]);
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2]);
  });
});

describe('one check list after the signature, for cached and uncached verifies', () => {
  /** The reason a verify is refused with, and whether the signature was checked (a cache miss). */
  async function attempt(
    verifier: ReturnType<typeof createVerifier>,
    reasons: RejectReason[],
    token: string,
    requiredScopes?: readonly string[],
  ): Promise<{ outcome: RejectReason | 'accepted'; signatureChecked: boolean }> {
    const before = signatureStats().checked;
    const seen = reasons.length;
    const outcome = await verifier
      .verify(token, requiredScopes === undefined ? undefined : { requiredScopes })
      .then(
        () => 'accepted' as const,
        () => reasons[seen] ?? ('accepted' as const),
      );
    return { outcome, signatureChecked: signatureStats().checked > before };
  }

  const pair = (): { verifier: ReturnType<typeof createVerifier>; reasons: RejectReason[] }[] =>
    [10_000, 0].map((cacheSize) => {
      const reasons: RejectReason[] = [];
      return {
        reasons,
        verifier: createVerifier({
          ...base,
          cacheSize,
          maxTokenAgeSec: 120,
          onReject: ({ reason }) => reasons.push(reason),
        }),
      };
    });

  it('refuses an expired token whether it was cached or not', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const token = await sign(ed, validClaims({ exp: nowSec() + 60 }));
    const [cached, uncached] = pair();
    for (const side of [cached, uncached]) {
      expect((await attempt(side!.verifier, side!.reasons, token)).outcome).toBe('accepted');
    }
    vi.setSystemTime(Date.now() + 30_000);
    // Still valid, and now a hit: the cached side checks no signature, the other does.
    expect(await attempt(cached!.verifier, cached!.reasons, token)).toEqual({
      outcome: 'accepted',
      signatureChecked: false,
    });
    vi.setSystemTime(Date.now() + 40_000);
    // (The cache lets an entry go at `exp`, so past it the cached side misses too.)
    for (const side of [cached, uncached]) {
      expect((await attempt(side!.verifier, side!.reasons, token)).outcome).toBe('expired');
    }
  });

  it('refuses a token past the verifier’s age limit on a cache hit as on a miss', async () => {
    vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const token = await sign(ed, validClaims({ exp: nowSec() + 600 }));
    const [cached, uncached] = pair();
    for (const side of [cached, uncached]) await attempt(side!.verifier, side!.reasons, token);
    vi.setSystemTime(Date.now() + 130_000);
    expect(await attempt(cached!.verifier, cached!.reasons, token)).toEqual({
      outcome: 'too_old',
      signatureChecked: false,
    });
    expect(await attempt(uncached!.verifier, uncached!.reasons, token)).toEqual({
      outcome: 'too_old',
      signatureChecked: true,
    });
  });

  it('refuses a missing scope on a cache hit as on a miss', async () => {
    const token = await sign(ed);
    const [cached, uncached] = pair();
    for (const side of [cached, uncached]) await attempt(side!.verifier, side!.reasons, token);
    for (const [side, miss] of [
      [cached, false],
      [uncached, true],
    ] as const) {
      await expect(
        side!.verifier.verify(token, { requiredScopes: ['admin'] }),
      ).rejects.toBeInstanceOf(InsufficientScopeError);
      expect(await attempt(side!.verifier, side!.reasons, token, ['admin'])).toEqual({
        outcome: 'insufficient_scope',
        signatureChecked: miss,
      });
    }
  });
});

describe('a revoked token, cached or not', () => {
  it('is refused on a cache hit (no signature checked) as on a miss', async () => {
    const server = await startRevocationServer({ heartbeatMs: 100 });
    const sides = [10_000, 0].map((cacheSize) => {
      const reasons: RejectReason[] = [];
      const verifier = createVerifier({
        ...base,
        cacheSize,
        onReject: ({ reason }) => reasons.push(reason),
        revocations: { uri: server.uri, credentials: server.consumerKey, maxStalenessSec: 5 },
      });
      return { verifier, reasons };
    });
    try {
      const jti = 'jti-doomed-on-both-paths';
      const token = await sign(ed, validClaims({ jti }));
      for (const side of sides) await side.verifier.verify(token);
      server.append({ type: 'jti', value: jti }, { cause: 'sign_out' });
      for (const [side, miss] of [
        [sides[0], false],
        [sides[1], true],
      ] as const) {
        const deadline = Date.now() + 2000;
        for (;;) {
          const before = signatureStats().checked;
          const refused = await side!.verifier.verify(token).then(
            () => false,
            () => true,
          );
          if (refused) {
            expect(side!.reasons.at(-1)).toBe('revoked');
            expect(signatureStats().checked > before).toBe(miss);
            break;
          }
          expect(Date.now()).toBeLessThan(deadline);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    } finally {
      await Promise.all(sides.map((side) => side.verifier.close()));
      await server.close();
    }
  });
});

describe('the fully-specified Ed25519 algorithm name (RFC 9864)', () => {
  it('is accepted wherever EdDSA is allowed, with the same key', async () => {
    const token = await sign(ed, validClaims(), { alg: 'Ed25519' });
    await expect(createVerifier(base).verify(token)).resolves.toBeDefined();
    await expect(
      createVerifier({ ...base, algorithms: ['EdDSA'] }).verify(token),
    ).resolves.toBeDefined();
  });

  it('is not accepted where EdDSA is not allowed', async () => {
    const token = await sign(ed, validClaims(), { alg: 'Ed25519' });
    expect(await reasonFor({ ...base, algorithms: ['ES256'] }, token)).toBe('alg_not_allowed');
  });
});
