import { isScopeToken } from '@writ/core';
import type { Clock } from '../platform/clock.ts';
import { hashSecret, randomSecret } from '../platform/crypto/random.ts';
import { GRANT_TYPES, type GrantType } from './client-record.ts';
import type { ClientsStores } from './clients-store.ts';

/** An hour by default: long enough to run a setup script, short enough not to linger. */
export const defaultRegistrationTokenTtlSec = 3600;
export const maxRegistrationTokenTtlSec = 7 * 86400;

export interface RegistrationTokenGrant {
  readonly name: string;
  /** What a client registered with the token may be allowed at most. */
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  readonly grantTypes: readonly GrantType[];
  readonly ttlSec: number;
}

export type CreateRegistrationTokenResult =
  | { readonly ok: true; readonly token: string; readonly expiresAt: number }
  | { readonly ok: false; readonly problem: 'invalid_registration_token_request' };

export const registrationTokenProblem =
  'name must be 1 to 64 letters, digits, . _ -; scope a list of scope tokens; audiences 1 to 20 absolute URIs; grant_types members of authorization_code, refresh_token, client_credentials; expires_in 60 to 604800 seconds';

/**
 * Issues an initial access token for RFC 7591 dynamic registration: single-use, expiring, and
 * bounding what the client it registers may ask for. Returned once; only its hash is stored.
 */
export async function createRegistrationToken(
  context: { readonly db: ClientsStores; readonly clock: Clock },
  grant: RegistrationTokenGrant,
): Promise<CreateRegistrationTokenResult> {
  const valid =
    /^[A-Za-z0-9._-]{1,64}$/.test(grant.name) &&
    grant.scopes.length <= 50 &&
    grant.scopes.every((scope) => isScopeToken(scope) && scope.length <= 128) &&
    grant.audiences.length >= 1 &&
    grant.audiences.length <= 20 &&
    grant.audiences.every(
      (audience) => audience.length <= 500 && URL.canParse(audience) && !/[\s#]/.test(audience),
    ) &&
    grant.grantTypes.length >= 1 &&
    grant.grantTypes.every((type) => GRANT_TYPES.includes(type)) &&
    Number.isInteger(grant.ttlSec) &&
    grant.ttlSec >= 60 &&
    grant.ttlSec <= maxRegistrationTokenTtlSec;
  if (!valid) return { ok: false, problem: 'invalid_registration_token_request' };
  const token = randomSecret('wrt_');
  const nowMs = context.clock.nowMs();
  const expiresAt = nowMs + grant.ttlSec * 1000;
  await context.db.registrationTokens.create({
    tokenHash: hashSecret(token),
    name: grant.name,
    scopes: [...new Set(grant.scopes)],
    audiences: [...new Set(grant.audiences)],
    grantTypes: [...new Set(grant.grantTypes)],
    createdAt: nowMs,
    expiresAt,
    usedAt: null,
    clientId: null,
  });
  return { ok: true, token, expiresAt };
}
