import type { JwsAlgorithm } from '@writ/core';
import { decodeJsonObject, splitCompact } from '../compact.ts';
import { checkHeader, type HeaderPolicy } from '../header-check.ts';
import type { KeyResolver } from '../key-resolver.ts';
import { reject } from '../rejection.ts';
import { verifySignature } from '../signature.ts';

/** RFC 9701 §5: the `typ` of a signed introspection response, and no other Writ token's. */
export const introspectionResponseType = 'token-introspection+jwt';

export interface IntrospectionResponsePolicy {
  /** The token service's `iss`, compared exactly. */
  readonly issuer: string;
  /** The response is addressed to the gateway: its `aud` is the gateway's client id. */
  readonly clientId: string;
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  readonly clockToleranceSec: number;
  /** An answer issued longer ago than this is refused: it is asked for and used in one go. */
  readonly maxResponseAgeSec: number;
  readonly keys: KeyResolver;
}

/** What a verified answer says: the token is not active, or it stands for this access token. */
export type IntrospectionVerdict =
  | { readonly active: false }
  | { readonly active: true; readonly accessToken: string };

const isNumericDate = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Verifies a signed introspection response (RFC 9701) as strictly as an access token, in the
 * same order: shape → header (`typ` `token-introspection+jwt`, allowed `alg`, a `kid`, no `crit`)
 * → key from the service's key set only → signature → claims: `iss` exact, `aud` our client id
 * (an answer meant for another client, replayed to us, is refused), `iat` recent (a recorded old
 * answer is refused), `exp`/`nbf` when present, and `token_introspection` of the right shape.
 * Throws a `Rejection` naming the check that failed.
 */
export async function verifyIntrospectionResponse(
  response: string,
  policy: IntrospectionResponsePolicy,
  nowMs: () => number,
): Promise<IntrospectionVerdict> {
  const segments = splitCompact(response);
  const headerPolicy: HeaderPolicy = {
    algorithms: policy.algorithms,
    tokenTypes: new Set([introspectionResponseType]),
    requireKid: true,
  };
  const header = checkHeader(decodeJsonObject(segments.header), headerPolicy);
  const key = await policy.keys.resolve(header.kid, header.alg);
  await verifySignature(segments, key);
  // Decoded only once the signature holds.
  const claims = decodeJsonObject(segments.payload);
  const { iss, aud, iat, exp, nbf, token_introspection: answer } = claims;
  if (typeof iss !== 'string' || iss !== policy.issuer) reject('issuer_mismatch');
  const addressedToUs =
    aud === policy.clientId || (Array.isArray(aud) && aud.includes(policy.clientId));
  if (!addressedToUs) reject('audience_mismatch');
  if (!isNumericDate(iat)) reject('bad_claims');
  if ((exp !== undefined && !isNumericDate(exp)) || (nbf !== undefined && !isNumericDate(nbf))) {
    reject('bad_claims');
  }
  // Judged now: the key lookup may have waited on the network.
  const nowSec = nowMs() / 1000;
  const tolerance = policy.clockToleranceSec;
  if (iat > nowSec + tolerance) reject('issued_in_future');
  if (nowSec - iat > policy.maxResponseAgeSec + tolerance) reject('too_old');
  if (typeof exp === 'number' && exp <= nowSec - tolerance) reject('expired');
  if (typeof nbf === 'number' && nbf > nowSec + tolerance) reject('not_yet_valid');
  if (!isPlainObject(answer) || typeof answer.active !== 'boolean') reject('bad_claims');
  if (!answer.active) return { active: false };
  const accessToken = answer.writ_access_token;
  if (typeof accessToken !== 'string' || accessToken === '') reject('bad_claims');
  return { active: true, accessToken };
}
