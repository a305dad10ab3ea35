import type { FastifyReply } from 'fastify';
import type { GrantError } from './token-grant.ts';

/** Every error code the /oauth endpoints answer with (RFC 6749 §5.2, RFC 7009, RFC 8707, RFC 9449). */
export type OAuthErrorCode = GrantError | 'invalid_client' | 'unsupported_token_type';

/** Headers every answer of the token, introspection and revocation endpoints carries. */
export const noStoreHeaders = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * Sends `{ error, error_description }` with fixed text: a description never echoes input and
 * never says more than the code's own meaning (which check failed stays in the server).
 */
export function sendOAuthError(
  reply: FastifyReply,
  status: 400 | 401,
  error: OAuthErrorCode,
  description: string,
  headers: Readonly<Record<string, string>> = {},
) {
  return reply
    .code(status)
    .headers({ ...noStoreHeaders, ...headers })
    .send({ error, error_description: description });
}
