export type ResourceChoice =
  | { readonly ok: true; readonly audience: string }
  | { readonly ok: false; readonly error: 'invalid_target' };

/**
 * The audience of the access token (RFC 8707): the `resource` parameter when it is one of the
 * allowed resources (compared as exact strings, as `aud` is), the first allowed one when none is
 * asked for. One resource per token: a parameter given twice was already refused by the form
 * parser, so an access token never carries an audience list a resource could be confused by.
 */
export function requestedResource(
  resource: string | undefined,
  allowed: readonly string[],
): ResourceChoice {
  if (resource === undefined) {
    const first = allowed[0];
    return first === undefined
      ? { ok: false, error: 'invalid_target' }
      : { ok: true, audience: first };
  }
  return allowed.includes(resource)
    ? { ok: true, audience: resource }
    : { ok: false, error: 'invalid_target' };
}
