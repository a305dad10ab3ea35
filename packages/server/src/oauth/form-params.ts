/** What `parseFormParams` found wrong; each is answered `invalid_request`. */
export type FormProblem = 'duplicate_parameter' | 'malformed_encoding' | 'too_many_parameters';

export type FormParams =
  | { readonly ok: true; readonly params: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly problem: FormProblem };

/** More than any OAuth request needs; past it the request is refused before any work. */
const maxParameters = 64;
/** A `%` not followed by two hex digits: URLSearchParams would silently make it U+FFFD. */
const brokenPercent = /%(?![0-9a-fA-F]{2})/;

/**
 * Parses an `application/x-www-form-urlencoded` body (RFC 6749 Appendix B). A parameter sent
 * twice is refused (RFC 6749 §3.1: "Request and response parameters MUST NOT be included more
 * than once"): which of two values a server picks is exactly the ambiguity a request smuggler
 * lives on. A parameter without a value counts as omitted (§3.1), but still as sent for the
 * duplicate rule.
 */
export function parseFormParams(body: string): FormParams {
  if (brokenPercent.test(body)) return { ok: false, problem: 'malformed_encoding' };
  const params = new Map<string, string>();
  const seen = new Set<string>();
  let count = 0;
  for (const [name, value] of new URLSearchParams(body)) {
    count += 1;
    if (count > maxParameters) return { ok: false, problem: 'too_many_parameters' };
    if (seen.has(name)) return { ok: false, problem: 'duplicate_parameter' };
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return { ok: true, params };
}
