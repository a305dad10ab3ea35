/** Splits a space-separated `scope` claim (RFC 6749 §3.3) into its members. */
export function parseScope(scope: string | undefined): ReadonlySet<string> {
  if (scope === undefined || scope === '') return new Set();
  return new Set(scope.split(' ').filter((member) => member !== ''));
}

/** Scopes in `required` that `granted` lacks. */
export function missingScopes(
  granted: ReadonlySet<string>,
  required: readonly string[],
): readonly string[] {
  return required.filter((scope) => !granted.has(scope));
}

/** A scope token as RFC 6749 §3.3 allows: printable ASCII without space, `"` or `\`. */
const scopeToken = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export function isScopeToken(value: unknown): value is string {
  return typeof value === 'string' && scopeToken.test(value);
}
