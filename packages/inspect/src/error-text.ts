import { redactUserinfo } from './redact.ts';

/**
 * An error and its causes as one line, e.g. `the request failed: fetch failed: connect
 * ECONNREFUSED 127.0.0.1:9`. Messages only: a stack trace tells an operator nothing about a token.
 * URL credentials are redacted: a network error's message may quote the URL.
 */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    if (current instanceof Error) {
      if (current.message !== '') parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return redactUserinfo(parts.join(': '));
}
