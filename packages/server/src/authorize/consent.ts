import type { ClientRecord } from '../clients/client-record.ts';
import type { AuthorizationRequest } from './authorization-request.ts';

/**
 * Whether the user must be asked before `client` gets what `request` asks for. Not yet: every
 * client is registered by the service's administrator (first-party), and its allowed scopes
 * and audiences are that administrator's consent. When third-party clients arrive (dynamic
 * registration), this is where a consent screen is decided, before a code is issued, and
 * `prompt=consent` stops being refused.
 */
export function consentRequired(_client: ClientRecord, _request: AuthorizationRequest): boolean {
  return false;
}
