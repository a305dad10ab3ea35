/**
 * `scheme://user:password@` in any text: userinfo runs to the last `@` before the path, query or
 * fragment (as URL parsers read it), and stops at a quote or backslash so it never spans two JSON
 * strings.
 */
const userinfo = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#"\\]*@/g;

/**
 * Replaces the userinfo of every URL in `text` with `***`. Whatever inspect prints — the report,
 * its JSON, error details, usage errors — passes through this, so a credential in a `--jwks` or
 * `--issuer` value, a token's `iss` or `jku`, or a network error's message never reaches a
 * terminal, a CI log or a pasted bug report.
 */
export function redactUserinfo(text: string): string {
  return text.replace(userinfo, '$1***@');
}
