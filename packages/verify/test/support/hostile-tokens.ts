import { constants, createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import type { RejectReason } from '@writ/core';
import { ed25519, p256, rsa, type SigningKey } from '../../../../test/support/keys.ts';
import type { JsonWebKeySet, VerifierOptions } from '../../src/index.ts';
import {
  assemble,
  audience,
  b64,
  b64json,
  forge,
  hmacForge,
  issuer,
  nowSec,
  sign,
  validClaims,
  withSegment,
} from './tokens.ts';

/** The keys behind the hostile table: what the issuer publishes, and what an attacker holds. */
export interface HostileKit {
  readonly ed: SigningKey;
  readonly es: SigningKey;
  readonly rs: SigningKey;
  readonly encOnly: SigningKey;
  readonly noVerifyOps: SigningKey;
  readonly attacker: SigningKey;
  readonly jwks: JsonWebKeySet;
  /** A valid token, for the cases that tamper with one. */
  readonly valid: string;
  readonly smallRsaPrivatePem: string;
}

export async function createHostileKit(): Promise<HostileKit> {
  const [ed, es, rs, encOnly, noVerifyOps, attacker] = await Promise.all([
    ed25519('ed-1'),
    p256('es-1'),
    rsa('rs-1'),
    ed25519('enc-1', { use: 'enc' }),
    ed25519('ops-1', { key_ops: ['encrypt'] }),
    ed25519('ed-1'), // same kid as the real key, different key
  ]);
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const smallJwk = {
    ...small.publicKey.export({ format: 'jwk' }),
    kid: 'rs-small',
    use: 'sig',
    alg: 'RS256',
  };
  const jwks = {
    keys: [
      ed.publicJwk,
      es.publicJwk,
      rs.publicJwk,
      encOnly.publicJwk,
      noVerifyOps.publicJwk,
      smallJwk,
    ],
  } as JsonWebKeySet;
  return {
    ed,
    es,
    rs,
    encOnly,
    noVerifyOps,
    attacker,
    jwks,
    valid: await sign(ed),
    smallRsaPrivatePem: small.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/** The verifier every hostile token is thrown at (library and adapters alike). */
export function hostileVerifierOptions(kit: HostileKit): VerifierOptions {
  return {
    issuer,
    audience,
    jwks: kit.jwks,
    algorithms: ['EdDSA', 'ES256', 'RS256'],
    maxTokenAgeSec: 3600,
  };
}

export interface HostileCase {
  readonly name: string;
  /** The reason the verifier must give `onReject`: proves the token failed where intended. */
  readonly reason: RejectReason;
  readonly make: (kit: HostileKit) => string | Promise<string>;
}

const edHeader = { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed-1' };
const unsigned = (alg: string) => assemble({ alg, typ: 'at+jwt', kid: 'ed-1' }, validClaims());
const signatureOf = (token: string) => token.split('.')[2] ?? '';

/** Every way we know to get a bad token accepted (RFC 8725, OWASP JWT cheat sheet, CVEs). */
export const hostileCases: readonly HostileCase[] = [
  // --- algorithm confusion ---
  { name: 'alg none, empty signature', reason: 'malformed', make: () => unsigned('none') },
  { name: 'alg None, empty signature', reason: 'malformed', make: () => unsigned('None') },
  { name: 'alg NONE, empty signature', reason: 'malformed', make: () => unsigned('NONE') },
  {
    name: 'alg none carrying a real signature',
    reason: 'alg_not_allowed',
    make: (kit) => withSegment(kit.valid, 0, b64json({ ...edHeader, alg: 'none' })),
  },
  {
    name: 'HS256 keyed with the public key PEM (RS/HS confusion)',
    reason: 'alg_not_allowed',
    make: (kit) =>
      hmacForge(
        { alg: 'HS256', typ: 'at+jwt', kid: 'rs-1' },
        validClaims(),
        createPublicKey({ key: kit.rs.publicJwk as never, format: 'jwk' }).export({
          type: 'spki',
          format: 'pem',
        }),
      ),
  },
  {
    name: 'HS256 keyed with the public JWK JSON',
    reason: 'alg_not_allowed',
    make: (kit) =>
      hmacForge(
        { alg: 'HS256', typ: 'at+jwt', kid: 'ed-1' },
        validClaims(),
        JSON.stringify(kit.ed.publicJwk),
      ),
  },
  {
    name: 'PS256 with a published RSA key, PS256 not allowed',
    reason: 'alg_not_allowed',
    make: (kit) => {
      const input = `${b64json({ alg: 'PS256', typ: 'at+jwt', kid: 'rs-1' })}.${b64json(validClaims())}`;
      const signature = nodeSign('sha256', Buffer.from(input), {
        key: kit.rs.nodePrivateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      return `${input}.${b64(signature)}`;
    },
  },
  {
    name: 'alg with a trailing space',
    reason: 'alg_not_allowed',
    make: (kit) => withSegment(kit.valid, 0, b64json({ ...edHeader, alg: 'EdDSA ' })),
  },
  {
    name: 'alg as an array',
    reason: 'alg_not_allowed',
    make: (kit) => withSegment(kit.valid, 0, b64json({ ...edHeader, alg: ['EdDSA'] })),
  },
  {
    name: 'EdDSA signature relabelled ES256 under the EdDSA kid',
    reason: 'unknown_kid',
    make: (kit) => withSegment(kit.valid, 0, b64json({ ...edHeader, alg: 'ES256' })),
  },
  {
    name: 'EdDSA signature relabelled ES256 under the ES256 kid',
    reason: 'bad_signature',
    make: (kit) => withSegment(kit.valid, 0, b64json({ alg: 'ES256', typ: 'at+jwt', kid: 'es-1' })),
  },
  {
    name: 'ES256 all-zero signature (CVE-2022-21449, psychic signatures)',
    reason: 'bad_signature',
    make: async (kit) => withSegment(await sign(kit.es), 2, b64(new Uint8Array(64))),
  },
  {
    name: 'ES256 signature in DER instead of raw r||s',
    reason: 'bad_signature',
    make: async (kit) => {
      const token = await sign(kit.es);
      const raw = Buffer.from(signatureOf(token), 'base64url');
      const int = (bytes: Buffer) => {
        const trimmed = bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
        return Buffer.concat([Buffer.from([0x02, trimmed.length]), trimmed]);
      };
      const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
      return withSegment(token, 2, b64(Buffer.concat([Buffer.from([0x30, body.length]), body])));
    },
  },
  // --- keys chosen by the attacker ---
  {
    name: 'signed by an attacker key under the real kid',
    reason: 'bad_signature',
    make: (kit) => sign(kit.attacker),
  },
  {
    name: 'attacker key embedded as header jwk, unknown kid',
    reason: 'unknown_kid',
    make: (kit) =>
      sign(kit.attacker, validClaims(), { kid: 'attacker', jwk: kit.attacker.publicJwk }),
  },
  {
    name: 'attacker key embedded as header jwk under the real kid',
    reason: 'bad_signature',
    make: (kit) => sign(kit.attacker, validClaims(), { jwk: kit.attacker.publicJwk }),
  },
  {
    name: 'jku pointing at an attacker key set',
    reason: 'bad_signature',
    make: (kit) => sign(kit.attacker, validClaims(), { jku: 'https://attacker.example/jwks.json' }),
  },
  {
    name: 'x5u pointing at an attacker certificate',
    reason: 'bad_signature',
    make: (kit) => sign(kit.attacker, validClaims(), { x5u: 'https://attacker.example/cert.pem' }),
  },
  {
    name: 'x5c carrying an attacker certificate chain',
    reason: 'bad_signature',
    make: (kit) => sign(kit.attacker, validClaims(), { x5c: [b64('not really a certificate')] }),
  },
  {
    name: 'unknown kid',
    reason: 'unknown_kid',
    make: (kit) => sign(kit.ed, validClaims(), { kid: 'nope' }),
  },
  {
    name: 'no kid',
    reason: 'missing_kid',
    make: (kit) => sign(kit.ed, validClaims(), { kid: undefined }),
  },
  {
    name: 'empty kid',
    reason: 'bad_header',
    make: (kit) => sign(kit.ed, validClaims(), { kid: '' }),
  },
  {
    name: 'numeric kid',
    reason: 'bad_header',
    make: (kit) => sign(kit.ed, validClaims(), { kid: 1 }),
  },
  {
    name: 'kid path traversal',
    reason: 'unknown_kid',
    make: (kit) => sign(kit.ed, validClaims(), { kid: '../../../../dev/null' }),
  },
  {
    name: 'kid SQL injection',
    reason: 'unknown_kid',
    make: (kit) => sign(kit.ed, validClaims(), { kid: "x' UNION SELECT 'secret' --" }),
  },
  {
    name: 'kid of a key published for encryption (use: enc)',
    reason: 'unknown_kid',
    make: (kit) => sign(kit.encOnly),
  },
  {
    name: 'kid of a key whose key_ops exclude verify',
    reason: 'unknown_kid',
    make: (kit) => sign(kit.noVerifyOps),
  },
  {
    name: 'RS256 with a published 1024-bit RSA key',
    reason: 'unknown_kid',
    make: (kit) => {
      const input = `${b64json({ alg: 'RS256', typ: 'at+jwt', kid: 'rs-small' })}.${b64json(validClaims())}`;
      return `${input}.${nodeSign('sha256', Buffer.from(input), kit.smallRsaPrivatePem).toString('base64url')}`;
    },
  },
  // --- token type ---
  {
    name: 'typ missing',
    reason: 'typ_mismatch',
    make: (kit) => sign(kit.ed, validClaims(), { typ: undefined }),
  },
  {
    name: 'typ JWT (an ID token)',
    reason: 'typ_mismatch',
    make: (kit) => sign(kit.ed, validClaims(), { typ: 'JWT' }),
  },
  {
    name: 'typ dpop+jwt (a DPoP proof)',
    reason: 'typ_mismatch',
    make: (kit) => sign(kit.ed, validClaims(), { typ: 'dpop+jwt' }),
  },
  {
    name: 'typ logout+jwt (a logout token)',
    reason: 'typ_mismatch',
    make: (kit) => sign(kit.ed, validClaims(), { typ: 'logout+jwt' }),
  },
  // --- header extensions ---
  {
    name: 'crit naming an unknown extension',
    reason: 'crit_unsupported',
    make: (kit) => forge(kit.ed, { crit: ['exp'], exp: 1 }, b64json(validClaims())),
  },
  {
    name: 'b64 false under crit (unencoded payload)',
    reason: 'crit_unsupported',
    make: (kit) => forge(kit.ed, { b64: false, crit: ['b64'] }, b64json(validClaims())),
  },
  {
    name: 'b64 false without crit',
    reason: 'crit_unsupported',
    make: (kit) => forge(kit.ed, { b64: false }, b64json(validClaims())),
  },
  // --- time ---
  {
    name: 'expired',
    reason: 'expired',
    make: (kit) =>
      sign(kit.ed, validClaims({ iat: nowSec() - 900, nbf: nowSec() - 900, exp: nowSec() - 300 })),
  },
  {
    name: 'expired just past the clock tolerance',
    reason: 'expired',
    make: (kit) =>
      sign(kit.ed, validClaims({ iat: nowSec() - 600, nbf: nowSec() - 600, exp: nowSec() - 6 })),
  },
  {
    name: 'not yet valid (nbf in the future)',
    reason: 'not_yet_valid',
    make: (kit) => sign(kit.ed, validClaims({ nbf: nowSec() + 120 })),
  },
  {
    name: 'issued in the future',
    reason: 'issued_in_future',
    make: (kit) => sign(kit.ed, validClaims({ iat: nowSec() + 120, nbf: undefined })),
  },
  {
    name: 'older than maxTokenAgeSec',
    reason: 'too_old',
    make: (kit) =>
      sign(kit.ed, validClaims({ iat: nowSec() - 7200, nbf: undefined, exp: nowSec() + 60 })),
  },
  {
    name: 'no exp',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ exp: undefined })),
  },
  {
    name: 'exp as a string',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ exp: String(nowSec() + 600) })),
  },
  {
    name: 'exp that parses to Infinity (1e400)',
    reason: 'bad_claims',
    make: async (kit) => {
      const json = JSON.stringify(validClaims({ exp: 0 })).replace('"exp":0', '"exp":1e400');
      return forge(kit.ed, {}, b64(json));
    },
  },
  {
    name: 'no iat',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ iat: undefined })),
  },
  // --- issuer and audience ---
  {
    name: 'other issuer',
    reason: 'issuer_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ iss: 'https://evil.example' })),
  },
  {
    name: 'issuer with a trailing slash',
    reason: 'issuer_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ iss: `${issuer}/` })),
  },
  {
    name: 'issuer in another case',
    reason: 'issuer_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ iss: issuer.toUpperCase() })),
  },
  {
    name: 'issuer as a prefix of an attacker host',
    reason: 'issuer_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ iss: `${issuer}.evil.example` })),
  },
  {
    name: 'issuer as an array',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ iss: [issuer] })),
  },
  {
    name: 'other audience',
    reason: 'audience_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ aud: 'https://other-api.writ.test' })),
  },
  {
    name: 'audience list without ours',
    reason: 'audience_mismatch',
    make: (kit) =>
      sign(kit.ed, validClaims({ aud: ['https://a.writ.test', 'https://b.writ.test'] })),
  },
  {
    name: 'audience in another case',
    reason: 'audience_mismatch',
    make: (kit) => sign(kit.ed, validClaims({ aud: audience.toUpperCase() })),
  },
  {
    name: 'no audience',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ aud: undefined })),
  },
  {
    name: 'empty audience list',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ aud: [] })),
  },
  // --- other claims ---
  {
    name: 'no sub',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ sub: undefined })),
  },
  {
    name: 'no jti',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ jti: undefined })),
  },
  {
    name: 'scope as a list',
    reason: 'bad_claims',
    make: (kit) => sign(kit.ed, validClaims({ scope: ['read'] })),
  },
  {
    name: 'DPoP-bound token presented as a bare bearer',
    reason: 'proof_required',
    make: (kit) =>
      sign(kit.ed, validClaims({ cnf: { jkt: 'hL8VbPFqgUhcK8lqe1s3h3CDTmf1f9c5PqOPGzfQ5Dk' } })),
  },
  // --- serialisation ---
  { name: 'empty string', reason: 'unsupported_serialization', make: () => '' },
  {
    name: 'two segments',
    reason: 'unsupported_serialization',
    make: (kit) => kit.valid.split('.').slice(0, 2).join('.'),
  },
  {
    name: 'four segments',
    reason: 'unsupported_serialization',
    make: (kit) => `${kit.valid}.${signatureOf(kit.valid)}`,
  },
  {
    name: 'JWE compact (five segments)',
    reason: 'unsupported_serialization',
    make: () =>
      [
        b64json({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' }),
        '',
        b64('iv'),
        b64('ct'),
        b64('tag'),
      ].join('.'),
  },
  {
    name: 'JWS JSON serialisation',
    reason: 'unsupported_serialization',
    make: (kit) => {
      const [h, p, s] = kit.valid.split('.');
      return JSON.stringify({ protected: h, payload: p, signature: s });
    },
  },
  {
    name: 'larger than 8 KiB',
    reason: 'too_large',
    make: (kit) => sign(kit.ed, validClaims({ padding: 'x'.repeat(9000) })),
  },
  { name: 'empty signature', reason: 'malformed', make: (kit) => withSegment(kit.valid, 2, '') },
  {
    name: 'truncated signature',
    reason: 'bad_signature',
    make: (kit) => withSegment(kit.valid, 2, signatureOf(kit.valid).slice(0, 40)),
  },
  {
    name: 'header in base64 (+ and /) instead of base64url',
    reason: 'malformed',
    make: (kit) => {
      // '~~~' encodes to 'fn5-' in base64url and 'fn5+' in base64: the segment is guaranteed to differ.
      const token = forge(kit.ed, { note: '~~~' }, b64json(validClaims()));
      const header = token.split('.')[0] ?? '';
      return withSegment(
        token,
        0,
        Buffer.from(header, 'base64url').toString('base64').replace(/=+$/, ''),
      );
    },
  },
  {
    name: 'padded segments',
    reason: 'malformed',
    make: (kit) => withSegment(kit.valid, 2, `${signatureOf(kit.valid)}==`),
  },
  {
    name: 'signature re-encoded non-canonically (spare bits set)',
    reason: 'malformed',
    make: (kit) => {
      const signature = signatureOf(kit.valid);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(signature.at(-1) ?? 'A');
      return withSegment(kit.valid, 2, signature.slice(0, -1) + alphabet[last | 1]);
    },
  },
  {
    name: 'header is not JSON',
    reason: 'malformed',
    make: (kit) => withSegment(kit.valid, 0, b64('{"alg":"EdDSA"')),
  },
  {
    name: 'header is a JSON array',
    reason: 'malformed',
    make: (kit) => withSegment(kit.valid, 0, b64json([edHeader])),
  },
  {
    name: 'payload swapped for another without re-signing',
    reason: 'bad_signature',
    make: (kit) =>
      withSegment(kit.valid, 1, b64json(validClaims({ sub: 'admin', scope: 'admin' }))),
  },
  {
    name: 'payload that is not JSON, validly signed',
    reason: 'malformed',
    make: async (kit) => {
      return forge(kit.ed, {}, b64('not json'));
    },
  },
  { name: 'trailing newline', reason: 'malformed', make: (kit) => `${kit.valid}\n` },
];
