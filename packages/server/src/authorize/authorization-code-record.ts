/** An authorization code as stored (the code itself is never stored, only its hash). Times in ms. */
export interface AuthorizationCodeRecord {
  readonly codeHash: string;
  readonly clientId: string;
  readonly userId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scope: string;
  readonly audience: string;
  readonly nonce: string | null;
  readonly authTime: number;
  readonly browserSessionId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly redeemedAt: number | null;
  readonly sessionId: string | null;
}
