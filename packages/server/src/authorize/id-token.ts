import { createHash } from 'node:crypto';
import { TokenKind } from '@writ/core';
import { decodeProtectedHeader } from 'jose';
import type { Signer } from '../keys/signer.ts';
import type { ServiceConfig } from '../platform/config/config.ts';

export interface IdTokenInput {
  readonly userId: string;
  readonly clientId: string;
  readonly accessToken: string;
  readonly authTimeMs: number;
  readonly nonce: string | null;
  /** The browser session the user signed in with (for logout: OIDC Front/Back-Channel `sid`). */
  readonly browserSessionId: string;
  readonly nowMs: number;
}

/**
 * The hash OIDC Core §3.1.3.6 ties to the signing algorithm for `at_hash`: the one the `alg`'s
 * own signature uses. Ed25519 signs with SHA-512 internally, and SHA-512 is what the OpenID
 * Foundation's resolution, oidc-provider and oauth4webapi use for `EdDSA`/`Ed25519`.
 */
function hashFor(alg: string): 'sha256' | 'sha384' | 'sha512' {
  if (alg.endsWith('256')) return 'sha256';
  if (alg.endsWith('384')) return 'sha384';
  if (alg.endsWith('512') || alg === 'EdDSA' || alg === 'Ed25519') return 'sha512';
  throw new Error(`no at_hash rule for the signing algorithm ${alg}`);
}

/** Left half of the hash of the access token, base64url (OIDC Core §3.1.3.6). */
export function accessTokenHash(accessToken: string, alg: string): string {
  const digest = createHash(hashFor(alg)).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** The algorithm the signer will most likely use: the access token's, or the ring's only one. */
function expectedAlgorithm(signer: Signer, accessToken: string): string | undefined {
  if (accessToken.split('.').length === 3) return decodeProtectedHeader(accessToken).alg;
  const algorithms = signer.algorithms();
  return algorithms.length === 1 ? algorithms[0] : undefined;
}

/**
 * Signs an ID token (OIDC Core §2) with the service's key ring. Its `typ` is `JWT`
 * (TokenKind.idToken): no other Writ token carries it, every Writ verifier of another kind
 * refuses it, and relying parties that check it at all accept only `JWT` or none. `at_hash`
 * depends on the algorithm the ring signs with; the signature says which one it used, so a key
 * change between the guess and the signature is caught and the token signed again.
 */
export async function signIdToken(
  context: { readonly config: ServiceConfig; readonly signer: Signer },
  input: IdTokenInput,
): Promise<string> {
  const iat = Math.floor(input.nowMs / 1000);
  const sign = (alg: string | undefined) =>
    context.signer.sign({
      typ: TokenKind.idToken,
      claims: {
        iss: context.config.issuer,
        sub: input.userId,
        aud: input.clientId,
        iat,
        exp: iat + context.config.accessTokenTtlSec,
        auth_time: Math.floor(input.authTimeMs / 1000),
        ...(input.nonce === null ? {} : { nonce: input.nonce }),
        ...(alg === undefined ? {} : { at_hash: accessTokenHash(input.accessToken, alg) }),
        sid: input.browserSessionId,
      },
    });
  let guess = expectedAlgorithm(context.signer, input.accessToken);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const idToken = await sign(guess);
    const used = decodeProtectedHeader(idToken).alg;
    if (used !== undefined && guess !== undefined && hashFor(used) === hashFor(guess))
      return idToken;
    guess = used;
  }
  throw new Error('the signing key kept changing while an ID token was signed');
}
