import { createPublicKey } from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import buildGetJwks from 'get-jwks';
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
} from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { activateKey } from '../src/keys/activate-key.ts';
import type { SigningKeyRecord } from '../src/keys/signing-key-record.ts';
import { seal } from '../src/platform/crypto/sealed-box.ts';
import {
  authorizeUrl,
  CookieJar,
  codeRequest,
  exchangeCode,
  pkcePair,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { errorOf } from './support/error-of.ts';
import { basic, postForm } from './support/oauth.ts';

/**
 * Resource servers built with libraries nobody here wrote verify Writ's OAuth access tokens
 * (RFC 9068) from the live JWKS, found through discovery: jose (createRemoteJWKSet + jwtVerify,
 * typ at+jwt), jsonwebtoken + jwks-rsa, fast-jwt + get-jwks. Each refuses the ID token where an
 * access token is expected, a token for another audience, and a token of another Writ.
 *
 * Writ signs with EdDSA (Ed25519) today. jsonwebtoken 9 cannot verify EdDSA at all (it throws
 * `Unknown key type "ed25519"`), so for it this file checks that it fails closed on Writ's
 * EdDSA tokens, and verifies tokens after the service's ring was moved to an RS256 key through
 * the keys module's own next → active path (a deployment that must serve such consumers).
 */

const audience = 'https://api.writ.test';
const email = 'rhea@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let otherWrit: TestService;
let jwksUri: string;

interface Tokens {
  readonly access: string;
  readonly otherAudience: string;
  readonly idToken: string;
  readonly foreign: string;
}
let tokens: Tokens;

async function clientCredentialsToken(target: TestService, resource?: string): Promise<string> {
  const adminKey = await target.addKey('admin');
  const machine = await registerClient(target, adminKey, {
    client_name: 'Resource server interop machine',
    grant_types: ['client_credentials'],
    redirect_uris: undefined,
    scope: 'api',
    audiences: [audience, 'https://other.writ.test'],
  });
  const answer = await postForm(
    target.url,
    '/oauth/token',
    { grant_type: 'client_credentials', scope: 'api', ...(resource ? { resource } : {}) },
    { authorization: basic(machine.clientId, machine.clientSecret ?? '') },
  );
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status}`);
  return String(answer.body.access_token);
}

async function codeFlowIdToken(): Promise<string> {
  const adminKey = await service.addKey('admin');
  const client = await registerClient(service, adminKey);
  const { verifier, challenge } = pkcePair();
  const params = await signInThroughPage(
    service,
    new CookieJar(),
    authorizeUrl(service, codeRequest(client, challenge)),
    { email, password },
  );
  const exchanged = await exchangeCode(service, client, {
    code: params.get('code') ?? '',
    redirect_uri: client.redirectUri,
    code_verifier: verifier,
  });
  return String(exchanged.body.id_token);
}

beforeAll(async () => {
  [service, otherWrit] = await Promise.all([startTestService(), startTestService()]);
  await service.addUser(email, password);
  const discovery = (await (
    await fetch(`${service.url}/.well-known/openid-configuration`)
  ).json()) as { jwks_uri: string };
  jwksUri = discovery.jwks_uri;
  tokens = {
    access: await clientCredentialsToken(service),
    otherAudience: await clientCredentialsToken(service, 'https://other.writ.test'),
    idToken: await codeFlowIdToken(),
    foreign: await clientCredentialsToken(otherWrit),
  };
});
afterAll(() => Promise.all([service?.destroy(), otherWrit?.destroy()]));

async function refusal(check: () => Promise<unknown>): Promise<string> {
  // Called inside an async function: a check that throws at once is a refusal too.
  const error = await errorOf((async () => check())());
  return error instanceof Error ? error.message : String(error);
}

describe('jose as a resource server', () => {
  const keys = () => createRemoteJWKSet(new URL(jwksUri));
  const verify = (token: string) =>
    jwtVerify(token, keys(), {
      issuer: service.url,
      audience,
      typ: 'at+jwt',
      algorithms: ['EdDSA', 'ES256', 'RS256'],
      clockTolerance: 30,
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
    });

  it('verifies an access token from the live JWKS (typ at+jwt)', async () => {
    const { payload, protectedHeader } = await verify(tokens.access);
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload.scope).toBe('api');
  });

  it('refuses the ID token, another audience and another Writ', async () => {
    expect(await refusal(() => verify(tokens.idToken))).toMatch(/"typ"/);
    expect(await refusal(() => verify(tokens.otherAudience))).toMatch(/"aud"/);
    // Another instance's kid is not in our JWKS.
    expect(await refusal(() => verify(tokens.foreign))).toMatch(/no applicable key/);
  });
});

describe('fast-jwt + get-jwks as a resource server', () => {
  const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [] });
  // Built on first use: the service's URL is known only once beforeAll ran.
  const verifyJwt = (token: string) =>
    createFastJwtVerifier({
      // get-jwks reads jwks_uri from the issuer's discovery document, then the key by kid and
      // alg. Its getPublicKey cannot turn an OKP (Ed25519) key into PEM (jwk-to-pem), so the JWK
      // it found is converted by node:crypto; fast-jwt itself verifies EdDSA.
      key: async (decoded: { header: { kid?: string; alg?: string } }) =>
        createPublicKey({
          key: (await getJwks.getJwk({
            kid: decoded.header.kid ?? '',
            alg: decoded.header.alg ?? '',
            domain: service.url,
          })) as import('node:crypto').JsonWebKey,
          format: 'jwk',
        }).export({ type: 'spki', format: 'pem' }),
      algorithms: ['EdDSA'],
      allowedIss: service.url,
      allowedAud: audience,
      clockTolerance: 30_000,
      complete: true,
      requiredClaims: ['exp', 'sub', 'jti'],
    })(token);
  // fast-jwt has no typ option: a resource server checks the header itself (RFC 9068 §4).
  const verify = async (token: string) => {
    const { header, payload } = (await verifyJwt(token)) as {
      header: { typ?: string };
      payload: Record<string, unknown>;
    };
    if (header.typ?.toLowerCase() !== 'at+jwt')
      throw new Error(`not an access token: ${header.typ}`);
    return payload;
  };

  it('verifies an access token (EdDSA) from the key discovery names', async () => {
    // The limitation above, so this file notices when get-jwks learns OKP.
    const kid = decodeProtectedHeader(tokens.access).kid ?? '';
    expect(
      await refusal(() => getJwks.getPublicKey({ kid, alg: 'EdDSA', domain: service.url })),
    ).toMatch(/Unsupported key type "OKP"/);
    expect((await verify(tokens.access)).scope).toBe('api');
  });

  it('refuses the ID token, another audience and another Writ', async () => {
    // Refused on its missing jti before the typ check would (ID tokens carry none).
    expect(await refusal(() => verify(tokens.idToken))).toMatch(/not an access token|aud|jti/);
    expect(await refusal(() => verify(tokens.otherAudience))).toMatch(/aud/);
    expect(await refusal(() => verify(tokens.foreign))).toMatch(/./);
  });
});

describe('jsonwebtoken + jwks-rsa as a resource server (jsonwebtoken 9 has no EdDSA)', () => {
  const keysClient = () => jwksRsa({ jwksUri, cache: false });
  const verify = async (token: string, algorithms: jsonwebtoken.Algorithm[]) => {
    const { kid } = decodeProtectedHeader(token);
    const key = await keysClient().getSigningKey(kid);
    const { header, payload } = jsonwebtoken.verify(token, key.getPublicKey(), {
      algorithms,
      issuer: service.url,
      audience,
      clockTolerance: 30,
      complete: true,
    });
    if (String(header.typ).toLowerCase() !== 'at+jwt') throw new Error('not an access token');
    return payload as jsonwebtoken.JwtPayload;
  };

  it('jwks-rsa finds the EdDSA key by kid, but jsonwebtoken refuses EdDSA tokens (fails closed)', async () => {
    const { kid } = decodeProtectedHeader(tokens.access);
    const key = await keysClient().getSigningKey(kid);
    expect(createPublicKey(key.getPublicKey()).asymmetricKeyType).toBe('ed25519');
    // No algorithm list of jsonwebtoken's names EdDSA; with its default one it refuses too.
    expect(await refusal(() => verify(tokens.access, ['RS256', 'ES256']))).toMatch(
      /Unknown key type "ed25519"|invalid algorithm/,
    );
  });

  it('verifies RS256 access tokens once the ring signs with RS256, and refuses the rest', async () => {
    // The keys module's own rotation path: a sealed RS256 key stored as next, then activated.
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const record: SigningKeyRecord = {
      kid,
      alg: 'RS256',
      state: 'next',
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: 'RS256', use: 'sig' }),
      sealedPrivateJwk: seal(
        service.context.config.masterKey,
        JSON.stringify(await exportJWK(privateKey)),
        kid,
      ),
      createdAt: service.clock.nowMs(),
      activatedAt: null,
      retiredAt: null,
    };
    await service.context.db.signingKeys.insert(record);
    await activateKey(service.context, kid);

    const rsaToken = await clientCredentialsToken(service);
    expect(decodeProtectedHeader(rsaToken)).toMatchObject({ alg: 'RS256', kid, typ: 'at+jwt' });
    expect((await verify(rsaToken, ['RS256'])).scope).toBe('api');
    // The algorithm allowlist holds: an RS256 token is refused by a verifier allowing ES256 only.
    expect(await refusal(() => verify(rsaToken, ['ES256']))).toMatch(/invalid algorithm/);
    const rsaOther = await clientCredentialsToken(service, 'https://other.writ.test');
    expect(await refusal(() => verify(rsaOther, ['RS256']))).toMatch(/audience invalid/);
    const rsaIdToken = await codeFlowIdToken();
    expect(await refusal(() => verify(rsaIdToken, ['RS256']))).toMatch(
      /not an access token|audience invalid/,
    );
  });
});
