/**
 * The `typ` header of every JWT kind Writ signs. Each kind has its own media type so a token
 * minted for one purpose is never accepted for another (RFC 8725 §3.11). A kind is declared
 * here when a path that signs it lands (ID tokens, logout tokens, security event tokens and
 * DPoP proofs arrive with the OAuth, webhook and DPoP work), so nothing here is a promise.
 */
export const TokenKind = {
  /** RFC 9068 access token. */
  access: 'at+jwt',
  /** RFC 9449 DPoP proof, signed by `@writ/client` with the client's own key. */
  dpopProof: 'dpop+jwt',
  /**
   * OpenID Connect ID token. OIDC defines no media type for it; `JWT` is what relying parties
   * that check `typ` at all accept, and no other kind here uses it, so every Writ verifier of
   * another kind (`at+jwt`, `logout+jwt`, …) refuses an ID token (docs/oauth/authorize.md).
   */
  idToken: 'JWT',
  /** OpenID Connect Back-Channel Logout 1.0 logout token, POSTed to a relying party. */
  logout: 'logout+jwt',
  /** RFC 9701 signed introspection response, addressed to the introspecting client. */
  introspectionResponse: 'token-introspection+jwt',
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
