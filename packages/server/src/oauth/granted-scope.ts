import { isScopeToken } from '@writ/core';

export type ScopeChoice =
  | { readonly ok: true; readonly scope: string }
  | { readonly ok: false; readonly error: 'invalid_scope' };

/**
 * The scope to grant: the requested one if every member is allowed, else `invalid_scope`
 * (RFC 6749 §3.3); none requested → everything allowed. Members keep the allowed list's order,
 * so equal grants read alike. Never widens: `allowed` is the ceiling (the client's scopes, or a
 * refresh token's original grant).
 */
export function grantedScope(
  requested: string | undefined,
  allowed: readonly string[],
): ScopeChoice {
  if (requested === undefined) return { ok: true, scope: allowed.join(' ') };
  const members = requested.split(' ');
  if (members.some((member) => !isScopeToken(member))) return { ok: false, error: 'invalid_scope' };
  const wanted = new Set(members);
  if ([...wanted].some((member) => !allowed.includes(member))) {
    return { ok: false, error: 'invalid_scope' };
  }
  return { ok: true, scope: allowed.filter((member) => wanted.has(member)).join(' ') };
}
