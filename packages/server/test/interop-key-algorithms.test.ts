import { execFile } from 'node:child_process';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { promisify } from 'node:util';
import {
  createVerifier as createFastJwtVerifier,
  type Algorithm as FastJwtAlgorithm,
} from 'fast-jwt';
import buildGetJwks from 'get-jwks';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { createVerifier as createWritVerifier } from '../../verify/src/index.ts';
import { registerClient } from './support/authorize-flow.ts';
import { basic, postForm } from './support/oauth.ts';

/**
 * Issue 14, item 8: a real service signing with each algorithm (WRIT_SIGNING_ALGORITHMS), a user
 * signed in, and that access token verified against the live JWKS by the verifiers resource
 * servers use: jose, @writ/verify, jsonwebtoken + jwks-rsa, fast-jwt + get-jwks and Python's
 * PyJWT (Debian python3-jwt). Where a library cannot verify an algorithm, what it does instead is
 * the asserted result, with the reason, so this file notices the day it learns.
 *
 * Python needs /usr/bin/python3 with python3-jwt and python3-cryptography (.ci/run installs
 * them); without them the PyJWT rows fail rather than skip.
 */

const algorithms = ['EdDSA', 'ES256', 'PS256', 'RS256', 'ML-DSA-44', 'ML-DSA-65'] as const;
type Algorithm = (typeof algorithms)[number];

const audience = 'https://api.writ.test';
const legacyAudience = 'https://legacy.writ.test';
const password = 'correct horse battery staple';
const run = promisify(execFile);

interface Signed {
  readonly service: TestService;
  readonly userId: string;
  readonly token: string;
  readonly jwksUri: string;
}

const signed = new Map<Algorithm, Signed>();

beforeAll(async () => {
  for (const alg of algorithms) {
    const service = await startTestService({ WRIT_SIGNING_ALGORITHMS: alg });
    const userId = await service.addUser(`interop-${alg.toLowerCase()}@example.com`, password);
    const { access_token: token } = await signInBody(
      service.url,
      `interop-${alg.toLowerCase()}@example.com`,
      password,
    );
    signed.set(alg, { service, userId, token, jwksUri: `${service.url}/.well-known/jwks.json` });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([...signed.values()].map(({ service }) => service.destroy()));
});

function signedWith(alg: Algorithm): Signed {
  const found = signed.get(alg);
  if (found === undefined) throw new Error(`no service for ${alg}`);
  return found;
}

/** The token with its signature's last character changed: every verifier must refuse it. */
function tampered(token: string): string {
  return token.slice(0, -1) + (token.endsWith('A') ? 'Q' : 'A');
}

/** What one library made of a token: the verified subject, or its refusal's message. */
type Outcome = { readonly verified: string } | { readonly refused: string };

async function outcomeOf(verify: () => Promise<{ sub?: unknown }>): Promise<Outcome> {
  try {
    return { verified: String((await verify()).sub) };
  } catch (error) {
    if (!(error instanceof Error)) return { refused: String(error) };
    // fast-jwt wraps a failed key lookup ("Cannot fetch key.") around what went wrong.
    const original = (error as { originalError?: unknown }).originalError;
    const cause = original instanceof Error ? ` (${original.name}: ${original.message})` : '';
    return { refused: `${error.name}: ${error.message}${cause}` };
  }
}

/** A refusal the library gives for an algorithm it cannot do, and why. */
interface Refusal {
  readonly refused: RegExp;
  readonly because: string;
}
type Expected = 'verified' | Refusal;

/**
 * Holds a library to its row: verified means the user's token passes and the tampered one does
 * not; a refusal must be exactly the one stated (a different failure is a different finding).
 */
async function expectRow(
  alg: Algorithm,
  expected: Expected,
  verify: (token: string, target: Signed) => Promise<{ sub?: unknown }>,
): Promise<void> {
  const target = signedWith(alg);
  const outcome = await outcomeOf(() => verify(target.token, target));
  if (expected === 'verified') {
    expect(outcome, `${alg}`).toEqual({ verified: target.userId });
    const forged = await outcomeOf(() => verify(tampered(target.token), target));
    expect(forged, `${alg}: a tampered token`).toHaveProperty('refused');
    return;
  }
  expect(outcome, `${alg}: ${expected.because}`).toEqual({
    refused: expect.stringMatching(expected.refused),
  });
}

const typAccessToken = (typ: unknown): void => {
  // RFC 9068 §4, checked by hand where a library has no typ option.
  if (String(typ).toLowerCase() !== 'at+jwt') throw new Error(`not an access token: ${typ}`);
};

describe('jose (createRemoteJWKSet + jwtVerify) against the live JWKS', () => {
  it.each(algorithms)('verifies %s', async (alg) => {
    await expectRow(alg, 'verified', async (token, { service, jwksUri }) => {
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
        algorithms: [alg],
        issuer: service.url,
        audience,
        typ: 'at+jwt',
      });
      return payload;
    });
  });
});

describe('@writ/verify against the live JWKS', () => {
  it.each(algorithms)(
    'verifies %s (ML-DSA only when listed: it is never a default)',
    async (alg) => {
      await expectRow(alg, 'verified', async (token, { service, jwksUri }) => {
        const verifier = createWritVerifier({
          issuer: service.url,
          audience,
          jwksUri,
          algorithms: [alg],
        });
        return (await verifier.verify(token)).claims;
      });
    },
  );
});

describe('jsonwebtoken 9 + jwks-rsa 4 against the live JWKS', () => {
  const expected: Record<Algorithm, Expected> = {
    EdDSA: {
      refused: /Unknown key type "ed25519"/,
      because: 'jwks-rsa finds the OKP key, but jsonwebtoken 9 has no EdDSA',
    },
    ES256: 'verified',
    PS256: 'verified',
    RS256: 'verified',
    'ML-DSA-44': {
      refused: /did not contain any signing keys/,
      because: 'jwks-rsa skips kty AKP, and jsonwebtoken has no ML-DSA',
    },
    'ML-DSA-65': {
      refused: /did not contain any signing keys/,
      because: 'jwks-rsa skips kty AKP, and jsonwebtoken has no ML-DSA',
    },
  };
  it.each(algorithms)('%s', async (alg) => {
    await expectRow(alg, expected[alg], async (token, { service, jwksUri }) => {
      const { kid } = decodeProtectedHeader(token);
      const key = await jwksRsa({ jwksUri, cache: false }).getSigningKey(kid);
      const { header, payload } = jsonwebtoken.verify(token, key.getPublicKey(), {
        // jsonwebtoken's Algorithm union has no EdDSA: the header's alg, as a resource server
        // allowing it would have to write it.
        algorithms: [alg as jsonwebtoken.Algorithm],
        issuer: service.url,
        audience,
        clockTolerance: 30,
        complete: true,
      });
      typAccessToken(header.typ);
      return payload as jsonwebtoken.JwtPayload;
    });
  });
});

describe('fast-jwt 6 + get-jwks 11 against the live JWKS (keys found through discovery)', () => {
  const verifyWith =
    (alg: Algorithm, key: (target: Signed, header: { kid?: string }) => Promise<string>) =>
    async (token: string, target: Signed) => {
      const { header, payload } = (await createFastJwtVerifier({
        key: async (decoded: { header: { kid?: string } }) => key(target, decoded.header),
        // fast-jwt's Algorithm union has no ML-DSA: the header's alg, as an allowlist would name it.
        algorithms: [alg as FastJwtAlgorithm],
        allowedIss: target.service.url,
        allowedAud: audience,
        clockTolerance: 30_000,
        complete: true,
      })(token)) as { header: { typ?: string }; payload: { sub?: unknown } };
      typAccessToken(header.typ);
      return payload;
    };
  const getJwks = () => buildGetJwks({ providerDiscovery: true, issuersWhitelist: [] });
  /** get-jwks's own conversion to PEM (jwk-to-pem): RSA and EC only. */
  const pemFromGetJwks = (alg: Algorithm) => (target: Signed, header: { kid?: string }) =>
    getJwks().getPublicKey({ kid: header.kid ?? '', alg, domain: target.service.url });
  /** The JWK get-jwks found, converted by node:crypto instead: the workaround for OKP. */
  const pemFromNode = (alg: Algorithm) => async (target: Signed, header: { kid?: string }) =>
    createPublicKey({
      key: (await getJwks().getJwk({
        kid: header.kid ?? '',
        alg,
        domain: target.service.url,
      })) as JsonWebKey,
      format: 'jwk',
    })
      .export({ type: 'spki', format: 'pem' })
      .toString();

  const withGetJwksPem: Record<Algorithm, Expected> = {
    EdDSA: { refused: /Unsupported key type "OKP"/, because: 'jwk-to-pem has no OKP' },
    ES256: 'verified',
    PS256: 'verified',
    RS256: 'verified',
    'ML-DSA-44': { refused: /Unsupported key type "AKP"/, because: 'jwk-to-pem has no AKP' },
    'ML-DSA-65': { refused: /Unsupported key type "AKP"/, because: 'jwk-to-pem has no AKP' },
  };
  it.each(algorithms)('%s with the PEM get-jwks makes', async (alg) => {
    await expectRow(alg, withGetJwksPem[alg], verifyWith(alg, pemFromGetJwks(alg)));
  });

  const withNodePem: Record<Algorithm, Expected> = {
    EdDSA: 'verified',
    ES256: 'verified',
    PS256: 'verified',
    RS256: 'verified',
    'ML-DSA-44': {
      refused: /Unsupported PEM PCKS8 public key with OID 2\.16\.840\.1\.101\.3\.4\.3\.17/,
      because: 'fast-jwt 6 has no ML-DSA',
    },
    'ML-DSA-65': {
      refused: /Unsupported PEM PCKS8 public key with OID 2\.16\.840\.1\.101\.3\.4\.3\.18/,
      because: 'fast-jwt 6 has no ML-DSA',
    },
  };
  it.each(algorithms)('%s with the JWK get-jwks finds, converted by node:crypto', async (alg) => {
    await expectRow(alg, withNodePem[alg], verifyWith(alg, pemFromNode(alg)));
  });
});

/**
 * One Python process checks every service's token (each through its own JWKS, PyJWKClient as a
 * resource server uses it), so the rows cost one interpreter start. Asynchronous: the services
 * answer from this very process.
 */
const pyjwtScript = `
import json, sys, jwt
results = []
for case in json.load(sys.stdin):
    try:
        key = jwt.PyJWKClient(case["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(case["token"])
        if str(jwt.get_unverified_header(case["token"]).get("typ", "")).lower() != "at+jwt":
            raise ValueError("not an access token")
        claims = jwt.decode(case["token"], key.key, algorithms=[case["alg"]], issuer=case["issuer"],
                            audience=case["audience"], leeway=30,
                            options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]})
        results.append({"verified": claims["sub"]})
    except Exception as error:
        results.append({"refused": type(error).__name__ + ": " + str(error)})
print(json.dumps(results))
`;

let pyjwtOutcomes: Promise<Map<string, Outcome>> | undefined;

/** Outcomes by token, for every service's token and its tampered twin. */
function pyjwt(): Promise<Map<string, Outcome>> {
  pyjwtOutcomes ??= (async () => {
    const cases = [...signed.entries()].flatMap(([alg, target]) =>
      [target.token, tampered(target.token)].map((token) => ({
        alg,
        token,
        jwks_uri: target.jwksUri,
        issuer: target.service.url,
        audience,
      })),
    );
    const child = run('/usr/bin/python3', ['-c', pyjwtScript], { timeout: 30_000 });
    child.child.stdin?.end(JSON.stringify(cases));
    const results = JSON.parse((await child).stdout) as Outcome[];
    return new Map(cases.map((c, i) => [c.token, results[i] as Outcome]));
  })();
  return pyjwtOutcomes;
}

describe('Python PyJWT (Debian python3-jwt) against the live JWKS', () => {
  const expected: Record<Algorithm, Expected> = {
    EdDSA: 'verified',
    ES256: 'verified',
    PS256: 'verified',
    RS256: 'verified',
    'ML-DSA-44': {
      refused: /PyJWKSetError: The JWK Set did not contain any usable keys/,
      because: 'PyJWT 2.6 knows no kty AKP',
    },
    'ML-DSA-65': {
      refused: /PyJWKSetError: The JWK Set did not contain any usable keys/,
      because: 'PyJWT 2.6 knows no kty AKP',
    },
  };
  it.each(algorithms)('%s', async (alg) => {
    await expectRow(alg, expected[alg], async (token) => {
      const outcome = (await pyjwt()).get(token);
      if (outcome === undefined) throw new Error('no PyJWT result');
      if ('refused' in outcome) throw new Error(outcome.refused);
      return { sub: outcome.verified };
    });
  });
});

describe('two algorithms published at once (EdDSA for Writ consumers, ES256 for a legacy audience)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({
      WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256',
      WRIT_AUDIENCE_ALGORITHMS: `${legacyAudience}=ES256`,
    });
  });
  afterAll(() => service?.destroy());

  it('signs each audience with its algorithm from one JWKS; jsonwebtoken verifies the legacy audience and refuses the rest', async () => {
    const jwksUri = `${service.url}/.well-known/jwks.json`;
    const published = (await (await fetch(jwksUri)).json()) as { keys: { alg?: string }[] };
    expect(published.keys.map((key) => key.alg).sort()).toEqual(['ES256', 'EdDSA']);

    const userId = await service.addUser('legacy@example.com', password);
    const { access_token: firstParty } = await signInBody(
      service.url,
      'legacy@example.com',
      password,
    );
    const machine = await registerClient(service, await service.addKey('admin'), {
      client_name: 'Legacy audience machine',
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
      audiences: [legacyAudience],
    });
    const answer = await postForm(
      service.url,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'api', resource: legacyAudience },
      { authorization: basic(machine.clientId, machine.clientSecret ?? '') },
    );
    expect(answer.status).toBe(200);
    const legacy = String(answer.body.access_token);
    expect(decodeProtectedHeader(firstParty).alg).toBe('EdDSA');
    expect(decodeProtectedHeader(legacy).alg).toBe('ES256');

    const jsonwebtokenVerify = async (token: string, aud: string) => {
      const key = await jwksRsa({ jwksUri, cache: false }).getSigningKey(
        decodeProtectedHeader(token).kid,
      );
      return jsonwebtoken.verify(token, key.getPublicKey(), {
        algorithms: ['ES256'],
        issuer: service.url,
        audience: aud,
      }) as jsonwebtoken.JwtPayload;
    };
    expect(await jsonwebtokenVerify(legacy, legacyAudience)).toMatchObject({
      sub: machine.clientId,
      aud: legacyAudience,
    });
    // Its allowlist (ES256) refuses the first-party EdDSA token before any key maths.
    expect(await outcomeOf(() => jsonwebtokenVerify(firstParty, audience))).toEqual({
      refused: 'JsonWebTokenError: invalid algorithm',
    });

    // Writ's own consumers, on the default algorithms (EdDSA, ES256), verify both.
    const writ = (aud: string) =>
      createWritVerifier({ issuer: service.url, audience: aud, jwksUri });
    expect((await writ(audience).verify(firstParty)).claims.sub).toBe(userId);
    expect((await writ(legacyAudience).verify(legacy)).claims.sub).toBe(machine.clientId);
  });
});
