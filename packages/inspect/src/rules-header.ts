import {
  AsymmetricAlgorithms,
  isSymmetricAlgorithm,
  normaliseTyp,
  SymmetricAlgorithms,
  TokenKind,
} from '@writ/core';
import { finding } from './findings.ts';
import type { Rule } from './lint-context.ts';
import { has, type JsonObject, own } from './record.ts';
import { show } from './text.ts';

const known: ReadonlySet<string> = new Set([...AsymmetricAlgorithms, ...SymmetricAlgorithms]);

export const algRule: Rule = ({ header }) => {
  const alg = own(header, 'alg');
  if (typeof alg !== 'string' || alg === '') {
    return [
      finding(
        'alg-missing',
        'critical',
        'The header has no usable alg, so nothing says how the signature was made and a careless verifier may skip checking it.',
      ),
    ];
  }
  if (alg.toLowerCase() === 'none') {
    return [
      finding(
        'alg-none',
        'critical',
        `alg is ${show(alg)}: the token is unsigned, so anyone can write any claims into it and a verifier that honours it accepts forgeries.`,
      ),
    ];
  }
  if (isSymmetricAlgorithm(alg)) {
    return [
      finding(
        'alg-hmac',
        'warning',
        `${alg} signs with a shared secret: every service able to verify the token holds that secret and can therefore forge tokens.`,
      ),
    ];
  }
  if (/^(RS|PS)(256|384|512)$/.test(alg)) {
    return [
      finding(
        'alg-rsa',
        'info',
        `${alg} is RSA: EdDSA or ES256 give the same security with far smaller signatures and keys, so prefer them.`,
      ),
    ];
  }
  if (!known.has(alg)) {
    return [
      finding(
        'alg-unknown',
        'warning',
        `alg ${show(alg)} is not one Writ verifies (EdDSA, ES*, PS*, RS*, ML-DSA-44/65, HS*; names are case-sensitive), so Writ verifiers refuse the token.`,
      ),
    ];
  }
  return [];
};

/**
 * What each JWT media type inspect recognises is for (keys are normalised `typ` values). Writ
 * signs only access tokens today; the others are the registered types of JWTs an issuer may also
 * sign, which inspect names so an API is warned off accepting them as bearer tokens.
 */
const tokenKindNames: ReadonlyMap<string, string> = new Map([
  [normaliseTyp(TokenKind.access), 'an access token'],
  ['jwt', 'a generic JWT (typically an OpenID Connect ID token)'],
  ['logout+jwt', 'a logout token'],
  ['secevent+jwt', 'a security event token'],
  ['dpop+jwt', 'a DPoP proof'],
]);

/** Claims only access tokens carry (RFC 9068 §2.2, RFC 8693 §4.2). */
const accessTokenClaims = ['scope', 'scp', 'client_id', 'cnf'] as const;

function looksLikeAccessToken(claims: JsonObject): boolean {
  return accessTokenClaims.some((name) => has(claims, name));
}

export const typRule: Rule = ({ header, claims }) => {
  if (!has(header, 'typ')) {
    return [
      finding(
        'typ-missing',
        'warning',
        'The header has no typ, so a verifier cannot tell this token from another kind of JWT (an ID token, a logout token) signed by the same issuer (RFC 8725 §3.11).',
      ),
    ];
  }
  const typ = own(header, 'typ');
  const kind = typeof typ === 'string' ? tokenKindNames.get(normaliseTyp(typ)) : undefined;
  if (typeof typ !== 'string' || kind === undefined) {
    return [
      finding(
        'typ-unknown',
        'warning',
        `typ ${show(typ)} is not a JWT media type Writ knows (e.g. at+jwt), so verifiers that check typ refuse the token and those that do not may take it for another kind.`,
      ),
    ];
  }
  if (normaliseTyp(typ) === normaliseTyp(TokenKind.access)) return [];
  if (looksLikeAccessToken(claims)) {
    return [
      finding(
        'typ-not-access',
        'warning',
        `typ ${show(typ)} marks ${kind}, yet the claims are an access token's: access tokens should say at+jwt (RFC 9068), or an ID token can be passed off as one.`,
      ),
    ];
  }
  return [
    finding(
      'typ-other-kind',
      'info',
      `typ ${show(typ)} marks ${kind}, not an access token (at+jwt): an API must not accept it as a bearer token.`,
    ),
  ];
};

export const kidRule: Rule = ({ header }) => {
  if (!has(header, 'kid')) {
    return [
      finding(
        'kid-missing',
        'warning',
        'The header has no kid, so verifiers must guess the key, which breaks the day a second key is published during rotation.',
      ),
    ];
  }
  const kid = own(header, 'kid');
  if (typeof kid !== 'string' || kid === '') {
    return [
      finding(
        'kid-invalid',
        'warning',
        `kid is ${show(kid)}, not a non-empty string, so verifiers cannot look the key up and refuse the token.`,
      ),
    ];
  }
  return [];
};

/** Header parameters that let the token name, or carry, the key it should be verified with. */
const keyReferenceParameters = ['jwk', 'jku', 'x5u', 'x5c'] as const;

export const keyReferenceRule: Rule = ({ header }) => {
  const present = keyReferenceParameters.filter((name) => has(header, name));
  if (present.length === 0) return [];
  return [
    finding(
      'header-key-reference',
      'warning',
      `The header carries ${present.join(', ')}: a key chosen by the token proves nothing, and a verifier that follows it accepts tokens signed by anyone.`,
    ),
  ];
};

export const critRule: Rule = ({ header }) => {
  if (!has(header, 'crit')) return [];
  return [
    finding(
      'crit',
      'warning',
      `The header declares crit ${show(own(header, 'crit'))}: a verifier must refuse the token unless it implements every listed extension, and Writ's implements none.`,
    ),
  ];
};

export const b64Rule: Rule = ({ header }) => {
  if (!has(header, 'b64')) return [];
  return [
    finding(
      'b64',
      'warning',
      `The header sets b64 to ${show(own(header, 'b64'))}: unencoded payloads (RFC 7797) change what the signature covers, and many verifiers, Writ's included, refuse them or get them wrong.`,
    ),
  ];
};

/** Signature length each fixed-size algorithm produces (ECDSA as r‖s, RFC 7518 §3.4). */
const signatureLengths: ReadonlyMap<string, number> = new Map([
  ['EdDSA', 64],
  ['Ed25519', 64],
  ['ES256', 64],
  ['ES384', 96],
  ['ES512', 132],
  // FIPS 204 fixes ML-DSA's signature length per parameter set.
  ['ML-DSA-44', 2420],
  ['ML-DSA-65', 3309],
]);

export const signatureRule: Rule = ({ header, signatureBytes }) => {
  const alg = own(header, 'alg');
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none') return []; // algRule covers these
  if (signatureBytes === 0) {
    return [
      finding(
        'signature-missing',
        'critical',
        `The signature segment is empty although alg is ${show(alg)}: the token is unsigned, so anyone could have written it.`,
      ),
    ];
  }
  const expected = signatureLengths.get(alg);
  if (expected === undefined || expected === signatureBytes) return [];
  return [
    finding(
      'signature-length',
      'warning',
      `The ${alg} signature is ${signatureBytes} bytes where ${expected} are expected (a DER-encoded ECDSA signature is a common cause), so JOSE verifiers refuse it.`,
    ),
  ];
};

export const headerRules: readonly Rule[] = [
  algRule,
  signatureRule,
  typRule,
  kidRule,
  keyReferenceRule,
  critRule,
  b64Rule,
];
