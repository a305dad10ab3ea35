import type { Clock } from '../platform/clock.ts';
import { hashSecret } from '../platform/crypto/random.ts';
import type { ClientsStores } from './clients-store.ts';
import type { RegistrationTokenRecord } from './stored-client.ts';

const bearer = /^[Bb][Ee][Aa][Rr][Ee][Rr] (wrt_[A-Za-z0-9_-]{43})$/;

/**
 * The usable initial access token in an `Authorization: Bearer` header. Found by the SHA-256 of
 * a 256-bit secret, so no secret comparison takes place that timing could reveal.
 */
export async function findUsableRegistrationToken(
  context: { readonly db: ClientsStores; readonly clock: Clock },
  authorization: string | undefined,
): Promise<RegistrationTokenRecord | undefined> {
  const match = bearer.exec(authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  return context.db.registrationTokens.findUsable(hashSecret(match[1]), context.clock.nowMs());
}
