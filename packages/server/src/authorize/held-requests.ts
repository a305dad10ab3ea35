import type { Clock } from '../platform/clock.ts';
import { hashSecret, randomSecret } from '../platform/crypto/random.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import type { AuthorizationRequestsStores } from './authorization-requests-store.ts';

/** RFC 9126 §2.2: a short lifetime; 60 s is the RFC's own example. */
export const pushedRequestTtlSec = 60;

export const requestUriPrefix = 'urn:ietf:params:oauth:request_uri:';

type Purpose = 'pushed';
const ttlSecOf: Readonly<Record<Purpose, number>> = { pushed: pushedRequestTtlSec };

/**
 * Holds a validated request server-side under a fresh 256-bit handle (stored as its hash) and
 * returns the handle: the tail of a pushed request's `request_uri` (RFC 9126). Only
 * authenticated clients create them, each lives 60 s. (The sign-in page's pending request is
 * not held here: it travels sealed in its form, pending-sign-in.ts.)
 */
export async function holdAuthorizationRequest(
  context: { readonly db: AuthorizationRequestsStores; readonly clock: Clock },
  purpose: Purpose,
  request: AuthorizationRequest,
): Promise<string> {
  const handle = randomSecret();
  const nowMs = context.clock.nowMs();
  await context.db.authorizationRequests.create({
    handleHash: hashSecret(handle),
    purpose,
    clientId: request.clientId,
    request: JSON.stringify(request),
    createdAt: nowMs,
    expiresAt: nowMs + ttlSecOf[purpose] * 1000,
  });
  return handle;
}

/**
 * Uses up a held request of `clientId` (single use: of two attempts exactly one gets it). A
 * handle of another client is refused without being used up, so a client cannot spend
 * another's pushed request.
 */
export async function takeHeldRequest(
  context: { readonly db: AuthorizationRequestsStores; readonly clock: Clock },
  purpose: Purpose,
  handle: string,
  clientId: string,
): Promise<AuthorizationRequest | undefined> {
  const handleHash = hashSecret(handle);
  const nowMs = context.clock.nowMs();
  const live = await context.db.authorizationRequests.findLive(handleHash, purpose, nowMs);
  if (live === undefined || live.clientId !== clientId) return undefined;
  const taken = await context.db.authorizationRequests.consume(handleHash, purpose, nowMs);
  return taken && (JSON.parse(taken.request) as AuthorizationRequest);
}
