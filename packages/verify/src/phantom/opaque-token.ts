import { isCanonicalBase64url } from '../base64url.ts';

/** The prefix of every opaque (phantom) access token Writ issues. */
export const opaqueTokenPrefix = 'wat_';

/** `wat_` + 43 base64url characters: 256 random bits (the issue 13 contract). */
const opaqueTokenLength = opaqueTokenPrefix.length + 43;

/**
 * Whether `value` has the exact shape of a Writ opaque access token. Checked before anything is
 * hashed or sent: a request carrying anything else (a JWT, a random string, 8 KiB of junk) never
 * causes an introspection, so a flood of made-up credentials cannot be turned against the service.
 * Canonical base64url (zero spare bits in the last character), so one token has one spelling and
 * one cache slot.
 */
export function isOpaqueAccessToken(value: string): boolean {
  return (
    value.length === opaqueTokenLength &&
    value.startsWith(opaqueTokenPrefix) &&
    isCanonicalBase64url(value.slice(opaqueTokenPrefix.length))
  );
}
