/**
 * The `typ` header of every JWT kind Writ signs. Each kind has its own media type so a token
 * minted for one purpose is never accepted for another (RFC 8725 §3.11).
 */
export const TokenKind = {
  /** RFC 9068 access token. */
  access: 'at+jwt',
  /** OpenID Connect ID token. */
  id: 'JWT',
  /** OpenID Connect back-channel logout token. */
  logout: 'logout+jwt',
  /** RFC 8417 security event token. */
  securityEvent: 'secevent+jwt',
  /** RFC 9449 DPoP proof. */
  dpopProof: 'dpop+jwt',
} as const;

export type TokenKind = (typeof TokenKind)[keyof typeof TokenKind];

/**
 * Normalises a `typ` value for comparison: media types are case-insensitive and the
 * `application/` prefix may be omitted (RFC 7515 §4.1.9).
 */
export function normaliseTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}
