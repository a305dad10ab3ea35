import type { RequestHandler } from 'express';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import {
  type AuthenticateOptions,
  type AuthenticationOutcome,
  createIncomingAuthenticator,
  settle,
} from './authenticate.ts';

export type { AuthenticateOptions } from './authenticate.ts';

/** `res.locals` as set by `expressAuthenticate`. */
export interface WritLocals {
  auth: VerifiedToken;
}

/**
 * Express middleware: on success the verified token is `res.locals.auth`; otherwise the answer
 * (400/401/403) is sent and the route never runs.
 */
export function expressAuthenticate(
  verifier: Verifier,
  options?: AuthenticateOptions,
): RequestHandler<Record<string, string>, unknown, unknown, unknown, WritLocals> {
  const authenticate = createIncomingAuthenticator(verifier, options);
  return (request, response, next) => {
    const finish = (outcome: AuthenticationOutcome): void => {
      if (outcome.ok) {
        response.locals.auth = outcome.token;
        // An answer for an authenticated caller is that caller's: no shared cache may keep it
        // (a route that means to be cached says so by setting its own Cache-Control).
        response.set('cache-control', 'no-store');
        if (outcome.headers !== undefined) response.set(outcome.headers);
        next();
        return;
      }
      response
        .status(outcome.failure.status)
        .set(outcome.failure.headers)
        .send(outcome.failure.body);
    };
    settle(() => authenticate(request, request.originalUrl), finish, next);
  };
}
