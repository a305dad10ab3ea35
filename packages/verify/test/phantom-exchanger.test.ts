import { createHash } from 'node:crypto';
import {
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  type RejectReason,
} from '@writ/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../../../test/support/jwks-server.ts';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import {
  createPhantomTokenExchanger,
  ExchangeUnavailableError,
  type PhantomRejectEvent,
  type PhantomTokenExchanger,
  type PhantomTokenExchangerOptions,
} from '../src/phantom/index.ts';
import { exchangerOptions } from './support/phantom-exchanger-options.ts';
import {
  activeAnswer,
  gatewayClientId,
  gatewayClientSecret,
  type IntrospectionAnswer,
  type IntrospectionServer,
  jwtAnswer,
  newOpaqueToken,
  signIntrospection,
  startIntrospectionServer,
} from './support/phantom-introspection-server.ts';
import { type RevocationServer, startRevocationServer } from './support/revocation-server.ts';
import { b64json, issuer, nowSec, sign, validClaims } from './support/tokens.ts';

let key: SigningKey;
/** A key the service never published: what an attacker signs with. */
let attackerKey: SigningKey;
let jwks: JwksServer;
let service: IntrospectionServer;
const open: PhantomTokenExchanger[] = [];

interface Harness {
  readonly exchanger: PhantomTokenExchanger;
  readonly rejected: PhantomRejectEvent[];
  readonly errors: unknown[];
}

function exchangerWith(options: Partial<PhantomTokenExchangerOptions> = {}): Harness {
  const rejected: PhantomRejectEvent[] = [];
  const errors: unknown[] = [];
  const exchanger = createPhantomTokenExchanger({
    ...exchangerOptions(service, jwks.url),
    onReject: (event) => rejected.push(event),
    onError: (error) => errors.push(error),
    ...options,
  });
  open.push(exchanger);
  return { exchanger, rejected, errors };
}

/** The error `promise` rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  [key, attackerKey] = await Promise.all([ed25519('svc-key-1'), ed25519('svc-key-1')]);
  jwks = await startJwksServer({ body: { keys: [key.publicJwk] } });
});

afterAll(async () => {
  await jwks.close();
});

beforeEach(async () => {
  service = await startIntrospectionServer();
  service.answerWith(() => activeAnswer(key));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((exchanger) => exchanger.close()));
  await service.close();
});

describe('exchanging an opaque token', () => {
  it('POSTs the token with client_secret_basic and the RFC 9701 Accept, and returns the access token', async () => {
    const inner = await sign(key, validClaims());
    service.answerWith(() => activeAnswer(key, inner));
    const { exchanger } = exchangerWith();
    const opaque = newOpaqueToken();
    expect(await exchanger.exchange(opaque)).toBe(inner);
    expect(service.seen).toHaveLength(1);
    const [seen] = service.seen;
    expect(seen?.method).toBe('POST');
    expect(seen?.accept).toBe('application/token-introspection+jwt');
    expect(seen?.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(seen?.body))).toEqual({
      token: opaque,
      token_type_hint: 'access_token',
    });
    // RFC 6749 §2.3.1: id and secret form-encoded before base64 (the secret has spaces and `&`).
    const basic = Buffer.from(
      seen?.authorization?.slice('Basic '.length) ?? '',
      'base64',
    ).toString();
    const [id, secret] = basic.split(':');
    expect(new URLSearchParams(`i=${id}&s=${secret}`).get('s')).toBe(gatewayClientSecret);
    expect(new URLSearchParams(`i=${id}`).get('i')).toBe(gatewayClientId);
    expect(secret).not.toContain(' ');
  });

  it('answers a repeated token from its cache without asking the service again', async () => {
    const { exchanger } = exchangerWith();
    const opaque = newOpaqueToken();
    const first = await exchanger.exchange(opaque);
    for (let i = 0; i < 5; i++) expect(await exchanger.exchange(opaque)).toBe(first);
    expect(service.seen).toHaveLength(1);
    expect(exchanger.stats()).toMatchObject({ cached: 1, introspections: 1, inFlight: 0 });
    // Another token is another exchange.
    await exchanger.exchange(newOpaqueToken());
    expect(service.seen).toHaveLength(2);
  });

  it('shares one introspection among concurrent requests with the same token', async () => {
    service.answerWith(async () => ({ ...(await activeAnswer(key)), delayMs: 150 }));
    const { exchanger } = exchangerWith();
    const opaque = newOpaqueToken();
    const results = await Promise.all(Array.from({ length: 20 }, () => exchanger.exchange(opaque)));
    expect(new Set(results).size).toBe(1);
    expect(service.seen).toHaveLength(1);
  });

  it('with cacheSize 0, asks the service every time', async () => {
    const { exchanger } = exchangerWith({ cacheSize: 0 });
    const opaque = newOpaqueToken();
    await exchanger.exchange(opaque);
    await exchanger.exchange(opaque);
    expect(service.seen).toHaveLength(2);
  });

  it('asks again once maxCacheAgeSec has passed, whatever the access token’s exp', async () => {
    const { exchanger } = exchangerWith({ maxCacheAgeSec: 1 });
    const opaque = newOpaqueToken();
    await exchanger.exchange(opaque);
    await exchanger.exchange(opaque);
    expect(service.seen).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await exchanger.exchange(opaque);
    expect(service.seen).toHaveLength(2);
  });

  it('ends a cached exchange when its access token expires', async () => {
    const now = nowSec();
    const inner = await sign(key, validClaims({ iat: now, nbf: now, exp: now + 2 }));
    service.answerWith(() => activeAnswer(key, inner));
    const { exchanger, rejected } = exchangerWith({ clockToleranceSec: 0 });
    const opaque = newOpaqueToken();
    expect(await exchanger.exchange(opaque)).toBe(inner);
    await new Promise((resolve) => setTimeout(resolve, (now + 2) * 1000 - Date.now() + 50));
    expect(await refusal(exchanger.exchange(opaque))).toBeInstanceOf(InvalidTokenError);
    expect(rejected.at(-1)).toEqual({ reason: 'bad_access_token', innerReason: 'expired' });
  });

  it('adds the required scopes of the exchanger and of the request (403, not 401)', async () => {
    const { exchanger } = exchangerWith({ requiredScopes: ['read'] });
    const opaque = newOpaqueToken();
    await exchanger.exchange(opaque);
    const error = await refusal(exchanger.exchange(opaque, { requiredScopes: ['admin'] }));
    expect(error).toBeInstanceOf(InsufficientScopeError);
    // A missing scope is not the token's end: it stays cached.
    expect(await exchanger.exchange(opaque)).toMatch(/^eyJ/);
    expect(service.seen).toHaveLength(1);
    // The exchanger's own required scopes: refused every time, asked about once.
    const strict = exchangerWith({ requiredScopes: ['admin'] });
    const lacking = newOpaqueToken();
    for (let i = 0; i < 3; i++) {
      expect(await refusal(strict.exchanger.exchange(lacking))).toBeInstanceOf(
        InsufficientScopeError,
      );
    }
    expect(service.seen).toHaveLength(2);
  });
});

describe('what is never exchanged', () => {
  it('refuses anything but a wat_ token without asking the service, a JWT included', async () => {
    const jwt = await sign(key, validClaims());
    const { exchanger, rejected } = exchangerWith();
    const opaque = newOpaqueToken();
    const presented: unknown[] = [
      jwt,
      '',
      'wat_',
      opaque.slice(0, -1),
      `${opaque}A`,
      `WAT_${opaque.slice(4)}`,
      // 43 characters whose last one has spare bits set: not canonical base64url.
      `${opaque.slice(0, -1)}B`,
      `${opaque.slice(0, -2)}+/`,
      ` ${opaque}`,
      undefined,
      42,
      { token: opaque },
    ];
    for (const token of presented) {
      expect(await refusal(exchanger.exchange(token))).toBeInstanceOf(InvalidTokenError);
    }
    expect(service.seen).toHaveLength(0);
    expect(rejected.every((event) => event.reason === 'not_opaque_token')).toBe(true);
    expect(rejected).toHaveLength(presented.length);
  });

  it('refuses an inactive token, and does not cache the refusal', async () => {
    service.answerWith(async () => jwtAnswer(await signIntrospection(key, { active: false })));
    const { exchanger, rejected } = exchangerWith();
    const opaque = newOpaqueToken();
    expect(await refusal(exchanger.exchange(opaque))).toBeInstanceOf(InvalidTokenError);
    expect(await refusal(exchanger.exchange(opaque))).toBeInstanceOf(InvalidTokenError);
    expect(service.seen).toHaveLength(2);
    expect(rejected).toEqual([{ reason: 'inactive' }, { reason: 'inactive' }]);
  });
});

type AnswerCase = readonly [
  name: string,
  answer: () => Promise<IntrospectionAnswer>,
  innerReason: RejectReason,
];

describe('a signed answer that fails a check is refused', () => {
  const active = (accessToken: string) => ({
    active: true,
    writ_access_token: accessToken,
  });
  const inner = () => sign(key, validClaims());
  const cases: readonly AnswerCase[] = [
    [
      'addressed to another client (aud)',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { aud: 'wc_other' })),
      'audience_mismatch',
    ],
    [
      'without aud',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { aud: undefined })),
      'audience_mismatch',
    ],
    [
      'of another typ (an access token)',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), {}, { typ: 'at+jwt' })),
      'typ_mismatch',
    ],
    [
      'without typ',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), {}, { typ: undefined })),
      'typ_mismatch',
    ],
    [
      'from another issuer',
      async () =>
        jwtAnswer(
          await signIntrospection(key, active(await inner()), { iss: 'https://evil.example' }),
        ),
      'issuer_mismatch',
    ],
    [
      'signed by a key the service never published (same kid)',
      async () => jwtAnswer(await signIntrospection(attackerKey, active(await inner()))),
      'bad_signature',
    ],
    [
      'naming an unknown kid',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), {}, { kid: 'nope' })),
      'unknown_kid',
    ],
    [
      'issued ten minutes ago (a replayed answer)',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { iat: nowSec() - 600 })),
      'too_old',
    ],
    [
      'issued in the future',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { iat: nowSec() + 600 })),
      'issued_in_future',
    ],
    [
      'without iat',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { iat: undefined })),
      'bad_claims',
    ],
    [
      'expired',
      async () =>
        jwtAnswer(await signIntrospection(key, active(await inner()), { exp: nowSec() - 60 })),
      'expired',
    ],
    [
      'without token_introspection',
      async () =>
        jwtAnswer(
          await signIntrospection(key, {}, { token_introspection: undefined, active: true }),
        ),
      'bad_claims',
    ],
    [
      'with active as a string',
      async () =>
        jwtAnswer(
          await signIntrospection(key, { active: 'true', writ_access_token: await inner() }),
        ),
      'bad_claims',
    ],
    [
      'active without writ_access_token',
      async () => jwtAnswer(await signIntrospection(key, { active: true, sub: 'usr_1' })),
      'bad_claims',
    ],
    [
      'unsigned (alg none)',
      async () =>
        jwtAnswer(
          `${b64json({ alg: 'none', typ: 'token-introspection+jwt', kid: key.kid })}.${b64json({
            iss: issuer,
            aud: gatewayClientId,
            iat: nowSec(),
            token_introspection: active(await inner()),
          })}.`,
        ),
      'malformed',
    ],
    ['not a JWT', async () => jwtAnswer('{"active":true}'), 'unsupported_serialization'],
  ];

  it.each(cases)('%s', async (_name, answer, innerReason) => {
    service.answerWith(answer);
    const { exchanger, rejected } = exchangerWith();
    expect(await refusal(exchanger.exchange(newOpaqueToken()))).toBeInstanceOf(InvalidTokenError);
    expect(rejected).toEqual([{ reason: 'bad_introspection_response', innerReason }]);
    expect(exchanger.stats().cached).toBe(0);
  });

  it('accepts an aud list that names this client', async () => {
    const accessToken = await inner();
    service.answerWith(async () =>
      jwtAnswer(await signIntrospection(key, active(accessToken), { aud: ['x', gatewayClientId] })),
    );
    const { exchanger } = exchangerWith();
    expect(await exchanger.exchange(newOpaqueToken())).toBe(accessToken);
  });
});

describe('the access token behind the answer is verified strictly', () => {
  const cases: ReadonlyArray<readonly [string, () => Promise<string>, RejectReason]> = [
    [
      'for another API (aud)',
      () => sign(key, validClaims({ aud: 'https://other.api' })),
      'audience_mismatch',
    ],
    [
      'expired',
      () => sign(key, validClaims({ iat: nowSec() - 900, exp: nowSec() - 60 })),
      'expired',
    ],
    ['of another typ', () => sign(key, validClaims(), { typ: 'JWT' }), 'typ_mismatch'],
    ['signed by an unpublished key', () => sign(attackerKey, validClaims()), 'bad_signature'],
    [
      'from another issuer',
      () => sign(key, validClaims({ iss: 'https://evil.example' })),
      'issuer_mismatch',
    ],
    ['DPoP-bound (cnf)', () => sign(key, validClaims({ cnf: { jkt: 'x' } })), 'proof_required'],
    ['not a JWT at all', async () => 'wat_not_a_jwt', 'unsupported_serialization'],
  ];

  it.each(cases)('%s', async (_name, accessToken, innerReason) => {
    const token = await accessToken();
    service.answerWith(() => activeAnswer(key, token));
    const { exchanger, rejected } = exchangerWith();
    expect(await refusal(exchanger.exchange(newOpaqueToken()))).toBeInstanceOf(InvalidTokenError);
    expect(rejected).toEqual([{ reason: 'bad_access_token', innerReason }]);
    expect(exchanger.stats().cached).toBe(0);
  });
});

describe('when the service cannot be asked', () => {
  const unavailable = async (
    exchanger: PhantomTokenExchanger,
    token = newOpaqueToken(),
  ): Promise<ExchangeUnavailableError> => {
    const error = await refusal(exchanger.exchange(token));
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    return error as ExchangeUnavailableError;
  };

  it('refuses as unavailable on a status other than 200 (wrong client secret: 401)', async () => {
    service.answerWith(() => ({
      status: 401,
      contentType: 'application/json',
      body: '{"error":"invalid_client"}',
    }));
    const { exchanger, errors } = exchangerWith();
    const error = await unavailable(exchanger);
    expect(error).toMatchObject({ code: 'introspection_failed', status: 401 });
    expect(errors).toEqual([error]);
  });

  it('refuses a plain JSON answer (a service that ignored Accept) as unreadable', async () => {
    service.answerWith(() => ({
      contentType: 'application/json',
      body: JSON.stringify({ active: true, writ_access_token: 'x' }),
    }));
    const { exchanger } = exchangerWith();
    expect(await unavailable(exchanger)).toMatchObject({ code: 'introspection_unreadable' });
  });

  it('stops reading an answer larger than maxResponseBytes', async () => {
    service.answerWith(() => jwtAnswer('a'.repeat(8 * 1024)));
    const { exchanger } = exchangerWith({ introspection: { maxResponseBytes: 4096 } });
    expect(await unavailable(exchanger)).toMatchObject({ code: 'introspection_unreadable' });
  });

  it('gives up after timeoutMs', async () => {
    service.answerWith(async () => ({ ...(await activeAnswer(key)), delayMs: 2000 }));
    const { exchanger } = exchangerWith({ introspection: { timeoutMs: 200 } });
    const started = performance.now();
    expect(await unavailable(exchanger)).toMatchObject({ code: 'introspection_failed' });
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('follows no redirect', async () => {
    const elsewhere = await startIntrospectionServer();
    elsewhere.answerWith(() => activeAnswer(key));
    try {
      service.answerWith(() => ({ status: 307, location: elsewhere.url, body: '' }));
      const { exchanger } = exchangerWith();
      await unavailable(exchanger);
      expect(elsewhere.seen).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('refuses as unavailable when nothing listens', async () => {
    const { exchanger } = exchangerWith({
      introspectionEndpoint: 'http://127.0.0.1:9/oauth/introspect',
    });
    expect(await unavailable(exchanger)).toMatchObject({ code: 'introspection_failed' });
  });

  it('refuses at once past maxConcurrent distinct introspections', async () => {
    service.answerWith(async () => ({ ...(await activeAnswer(key)), delayMs: 300 }));
    const { exchanger } = exchangerWith({ introspection: { maxConcurrent: 2 } });
    const first = exchanger.exchange(newOpaqueToken());
    const second = exchanger.exchange(newOpaqueToken());
    expect(await unavailable(exchanger)).toMatchObject({ code: 'too_many_introspections' });
    await Promise.all([first, second]);
    // Room again once they are done.
    await exchanger.exchange(newOpaqueToken());
  });

  it('refuses every exchange once closed', async () => {
    const { exchanger } = exchangerWith();
    const opaque = newOpaqueToken();
    await exchanger.exchange(opaque);
    await exchanger.close();
    expect(await unavailable(exchanger, opaque)).toMatchObject({ code: 'closed' });
  });
});

describe('with the revocation mirror', () => {
  let log: RevocationServer;

  beforeEach(async () => {
    log = await startRevocationServer({ heartbeatMs: 100 });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((exchanger) => exchanger.close()));
    await log.close();
  });

  /** Milliseconds until `opaque` is refused, polling every 5 ms. */
  async function msUntilRefused(exchanger: PhantomTokenExchanger, opaque: string): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < 3000) {
      try {
        await exchanger.exchange(opaque);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidTokenError);
        return performance.now() - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('a revoked token kept being exchanged');
  }

  it.each([
    [
      'jti',
      (claims: Record<string, unknown>) => ({ type: 'jti' as const, value: String(claims.jti) }),
    ],
    [
      'sid',
      (claims: Record<string, unknown>) => ({ type: 'sid' as const, value: String(claims.sid) }),
    ],
    [
      'sub',
      (claims: Record<string, unknown>) => ({
        type: 'sub' as const,
        value: String(claims.sub),
        issuedBefore: Number(claims.iat) + 1,
      }),
    ],
  ])(
    'ends a cached exchange at once when its %s is revoked, without asking the service',
    async (_type, target) => {
      const claims = validClaims({ sid: `ses_${Math.random().toString(36).slice(2)}` });
      const inner = await sign(key, claims);
      service.answerWith(() => activeAnswer(key, inner));
      const { exchanger, rejected } = exchangerWith({
        revocations: { uri: log.uri, credentials: log.consumerKey, maxStalenessSec: 5 },
      });
      const opaque = newOpaqueToken();
      expect(await exchanger.exchange(opaque)).toBe(inner);
      expect(await exchanger.exchange(opaque)).toBe(inner);
      expect(service.seen).toHaveLength(1);
      log.append(target(claims));
      expect(await msUntilRefused(exchanger, opaque)).toBeLessThan(1000);
      expect(rejected.at(-1)).toEqual({ reason: 'bad_access_token', innerReason: 'revoked' });
      // The refused entry is gone: the next attempt asks the service, whose answer is refused too.
      expect(exchanger.stats().cached).toBe(0);
      expect(await refusal(exchanger.exchange(opaque))).toBeInstanceOf(InvalidTokenError);
      expect(service.seen).toHaveLength(2);
    },
  );

  it('answers a stale mirror as unavailable (503), not as a bad token, and serves again once it catches up', async () => {
    const { exchanger, errors } = exchangerWith({
      revocations: { uri: log.uri, credentials: log.consumerKey, maxStalenessSec: 2 },
    });
    const opaque = newOpaqueToken();
    await exchanger.exchange(opaque);
    await log.stop();
    const deadline = Date.now() + 6000;
    let outcome: unknown;
    while (Date.now() < deadline) {
      outcome = await exchanger.exchange(opaque).catch((error: unknown) => error);
      if (outcome instanceof Error) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(outcome).toBeInstanceOf(ExchangeUnavailableError);
    expect(outcome).toMatchObject({ code: 'revocations_stale' });
    expect(errors).toContainEqual(outcome);
    // A credential that is not an opaque token is still simply invalid.
    expect(await refusal(exchanger.exchange(await sign(key, validClaims())))).toBeInstanceOf(
      InvalidTokenError,
    );
    await log.start();
    const recovered = Date.now() + 8000;
    while (Date.now() < recovered) {
      if ((await exchanger.exchange(opaque).catch(() => undefined)) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The cached exchange survived the outage: no new introspection was needed.
    expect(await exchanger.exchange(opaque)).toMatch(/^eyJ/);
    expect(service.seen).toHaveLength(1);
  }, 20_000);
});

describe('secrets stay out of what the exchanger reports', () => {
  it('never hands the opaque token, the access token or the client secret to onReject or onError', async () => {
    const inner = await sign(key, validClaims({ aud: 'https://other.api' }));
    const { exchanger, rejected, errors } = exchangerWith();
    const seenTokens: string[] = [inner];
    const refusals: unknown[] = [];
    const attempt = async (answer: Parameters<IntrospectionServer['answerWith']>[0]) => {
      service.answerWith(answer);
      const opaque = newOpaqueToken();
      seenTokens.push(opaque);
      refusals.push(await refusal(exchanger.exchange(opaque)));
    };
    await attempt(() => activeAnswer(key, inner));
    await attempt(() => ({ status: 401, contentType: 'application/json', body: inner }));
    await attempt(() => ({ contentType: 'text/html', body: `<p>${inner}</p>` }));
    await attempt(async () => jwtAnswer(await signIntrospection(key, { active: false })));
    const reported = JSON.stringify(
      [...rejected, ...errors, ...refusals].map((item) =>
        item instanceof Error ? [item.name, item.message, String(item.cause), item.stack] : item,
      ),
    );
    for (const secret of [...seenTokens, gatewayClientSecret]) {
      expect(reported).not.toContain(secret);
    }
    for (const error of refusals) expect(String(error)).not.toMatch(/wat_|eyJ/);
  });

  it('keys its cache by the SHA-256 of the opaque token', async () => {
    const { cacheKeyOf } = await import('../src/phantom/exchange-cache.ts');
    const opaque = newOpaqueToken();
    expect(cacheKeyOf(opaque)).toBe(createHash('sha256').update(opaque).digest('base64url'));
  });
});

describe('configuration', () => {
  it.each<[string, Record<string, unknown>]>([
    [
      'plain http off loopback',
      { introspectionEndpoint: 'http://auth.example.com/oauth/introspect' },
    ],
    ['credentials in the endpoint', { introspectionEndpoint: 'https://a:b@auth.example.com/x' }],
    ['an empty client id', { clientId: '' }],
    ['a client id with spaces', { clientId: 'my client' }],
    ['an empty secret', { clientSecret: '' }],
    ['no key set', { jwksUri: undefined }],
    ['no audience', { audience: [] }],
    ['a required scope with a space', { requiredScopes: ['read write'] }],
    ['a cache age past the longest token lifetime', { maxCacheAgeSec: 901 }],
    ['a zero timeout', { introspection: { timeoutMs: 0 } }],
  ])('refuses %s at construction', (_name, options) => {
    expect(() => exchangerWith(options as Partial<PhantomTokenExchangerOptions>)).toThrow(
      ConfigurationError,
    );
  });
});
