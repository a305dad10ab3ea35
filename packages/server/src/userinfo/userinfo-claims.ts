import type { UserRecord } from '../users/user-record.ts';

/** The UserInfo response (OIDC Core §5.3.2): members by the scopes the access token carries. */
export interface UserinfoClaims {
  readonly sub: string;
  readonly email?: string;
  readonly email_verified?: boolean;
}

/**
 * `sub` always; `email` and `email_verified` with scope `email` (OIDC Core §5.4). Writ has no
 * e-mail verification flow, so `email_verified` is `false`: a relying party must not treat the
 * address as proven (account linking by e-mail is the classic takeover). `profile` asks for
 * claims Writ does not hold (names, pictures), so it adds nothing.
 */
export function userinfoClaims(user: UserRecord, scopes: ReadonlySet<string>): UserinfoClaims {
  return scopes.has('email')
    ? { sub: user.id, email: user.email, email_verified: false }
    : { sub: user.id };
}
