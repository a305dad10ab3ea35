import { createAuthorizedFetch } from './authorized-fetch.ts';
import { type BodySession, bodyTransport } from './body-transport.ts';
import { type CookieSession, cookieTransport } from './cookie-transport.ts';
import { WritClientError } from './errors.ts';
import { type ResolvedOptions, resolveOptions, type WritClientOptions } from './options.ts';
import { isRedirect } from './redirects.ts';
import type { SessionTiming } from './refresh-schedule.ts';
import { discard, readJson, retryAfterSec } from './service-responses.ts';
import { createSessionKeeper, type ServiceCall } from './session-keeper.ts';
import type { SessionTransport } from './session-transport.ts';

export interface WritClient {
  /** Opens a session. Throws `WritClientError` (`invalid_credentials`, `slow_down`, …). */
  signIn(email: string, password: string): Promise<void>;
  /**
   * `fetch` carrying the session: `Authorization: Bearer` in body mode; the cookies
   * (`credentials: 'include'`) and, on unsafe methods, `X-CSRF-Token` in cookie mode.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Ends the session at the service and here. Local state is cleared even if the call fails. */
  signOut(): Promise<void>;
  /**
   * Picks up a session from before a restart (body mode with a `tokenStore`) or a page reload
   * (cookie mode: one refresh). `fetch` does this by itself; call it to know at start-up.
   */
  resume(): Promise<boolean>;
  /** Whether the client holds a live session (false until `resume` after a reload). */
  readonly signedIn: boolean;
}

/** A redirect answer to one of the client's own requests, as its error (status 0: a browser's). */
async function redirectError(response: Response): Promise<WritClientError> {
  await discard(response);
  return new WritClientError(
    'unexpected_redirect',
    response.status === 0 ? {} : { status: response.status },
  );
}

function serviceCaller(options: ResolvedOptions, credentials: RequestCredentials | undefined) {
  /**
   * With DPoP, each call carries a proof for it (RFC 9449 §5), so the service can bind the tokens
   * it answers with to the client's key; and when the service asks for its nonce first
   * (`use_dpop_nonce`), the call is signed again with it and sent once more.
   */
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    if (options.dpop === undefined) return sendOnce(url, init);
    const prover = await options.dpop();
    const signed = async () => {
      const headers = new Headers(init.headers);
      headers.set('dpop', await prover.proof({ method: init.method ?? 'GET', url }));
      return sendOnce(url, { ...init, headers });
    };
    const response = await signed();
    if (!(await prover.takeNonce(url, response))) return response;
    await discard(response);
    return signed();
  };
  const sendOnce = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await options.fetch(url, {
        ...init,
        ...(credentials === undefined ? {} : { credentials }),
        // A redirect would carry the password or refresh token in the body to wherever it
        // points. `manual` rather than `error`, so the app learns it was a redirect and not an
        // unreachable service.
        redirect: 'manual',
      });
    } catch {
      // The platform's error may name the request; ours names nothing.
      throw new WritClientError('network_error');
    }
  };
  const call: ServiceCall = async (path, init) => {
    const response = await send(`${options.issuer}${path}`, init);
    if (isRedirect(response)) throw await redirectError(response);
    return response;
  };
  return call;
}

function buildClient<S extends SessionTiming>(
  options: ResolvedOptions,
  transport: SessionTransport<S>,
): WritClient {
  const callService = serviceCaller(options, transport.credentials);
  const keeper = createSessionKeeper(transport, callService, options.onSessionEnded);
  const authorizedFetch = createAuthorizedFetch({
    issuer: options.issuer,
    allowedOrigins: options.allowedOrigins,
    fetch: options.fetch,
    transport,
    keeper,
    dpop: options.dpop,
  });

  async function signIn(email: string, password: string): Promise<void> {
    if (
      typeof email !== 'string' ||
      typeof password !== 'string' ||
      email === '' ||
      password === ''
    ) {
      throw new WritClientError('invalid_request');
    }
    await keeper.exclusive(async () => {
      const response = await callService('/auth/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: transport.signInBody(email, password),
      });
      if (response.ok) {
        await keeper.adopt(transport.readGrant(await readJson(response), Date.now()));
        return;
      }
      await discard(response);
      switch (response.status) {
        case 401:
          throw new WritClientError('invalid_credentials', { status: 401 });
        case 429: {
          const retryAfter = retryAfterSec(response);
          throw new WritClientError('slow_down', {
            status: 429,
            ...(retryAfter === undefined ? {} : { retryAfterSec: retryAfter }),
          });
        }
        case 400:
          throw new WritClientError('invalid_request', { status: 400 });
        default:
          throw new WritClientError('service_error', { status: response.status });
      }
    });
  }

  async function signOut(): Promise<void> {
    let failure: WritClientError | undefined;
    try {
      if (await keeper.resume()) {
        // Through the authorized path: an access token about to expire is refreshed first, and
        // a cookie-mode sign-out carries X-CSRF-Token.
        // `manual`: the service's own endpoint has no reason to redirect, and following would
        // carry the credentials along.
        const response = await authorizedFetch(`${options.issuer}/auth/sign-out`, {
          method: 'POST',
          redirect: 'manual',
        });
        if (isRedirect(response)) {
          failure = await redirectError(response);
        } else {
          await discard(response);
        }
        // 401: the session had already ended at the service, which is what was asked.
        if (failure === undefined && response.status !== 204 && response.status !== 401) {
          failure = new WritClientError('service_error', { status: response.status });
        }
      }
    } catch (error) {
      failure =
        error instanceof WritClientError
          ? error.code === 'session_ended' || error.code === 'not_signed_in'
            ? undefined
            : error
          : new WritClientError('network_error');
    }
    await keeper.exclusive(() => keeper.end('signed_out'));
    // Local state is gone either way; the app still learns the service may keep the session
    // until it expires.
    if (failure !== undefined) throw failure;
  }

  const client: WritClient = {
    signIn,
    fetch: authorizedFetch,
    signOut,
    resume: () => keeper.resume(),
    get signedIn() {
      return keeper.signedIn;
    },
  };
  return Object.freeze(client);
}

/**
 * A client of Writ's first-party API. Cookie mode for browsers, body mode for Node and native
 * apps; see docs/client.md.
 */
export function createWritClient(options: WritClientOptions): WritClient {
  const resolved = resolveOptions(options);
  if (resolved.mode === 'cookie') {
    return buildClient<CookieSession>(
      resolved,
      cookieTransport(resolved.issuer, resolved.refreshLeewaySec),
    );
  }
  return buildClient<BodySession>(
    resolved,
    bodyTransport(resolved.tokenStore, resolved.refreshLeewaySec, resolved.dpop !== undefined),
  );
}
