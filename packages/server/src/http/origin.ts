import type { FastifyRequest } from 'fastify';
import type { RequestOrigin } from '../service-context.ts';

const maxUserAgentLength = 512;

/** Where a request came from, for sessions and the activity log (IP honours `trustProxy`). */
export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'] ?? '';
  return { ip: request.ip, userAgent: userAgent.slice(0, maxUserAgentLength) };
}
