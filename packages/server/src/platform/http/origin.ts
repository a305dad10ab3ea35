import type { FastifyRequest } from 'fastify';

/** Who is asking, as recorded in sessions and the activity log. */
export interface RequestOrigin {
  readonly ip: string;
  readonly userAgent: string;
}

const maxUserAgentLength = 512;

/** Where a request came from, for sessions and the activity log (IP honours `trustProxy`). */
export function originOf(request: FastifyRequest): RequestOrigin {
  const userAgent = request.headers['user-agent'] ?? '';
  return { ip: request.ip, userAgent: userAgent.slice(0, maxUserAgentLength) };
}
