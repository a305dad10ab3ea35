import type { FastifyReply } from 'fastify';

/**
 * Error answers of the first-party API. Codes follow RFC 6749 §5.2 where one fits, so OAuth
 * client libraries understand them; messages never say which check failed.
 */
export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_grant'
  | 'invalid_credentials'
  | 'invalid_token'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'not_found'
  | 'unauthorized';

export function sendError(
  reply: FastifyReply,
  status: number,
  error: ApiErrorCode,
  headers: Record<string, string> = {},
) {
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', ...headers })
    .send({ error });
}
