import { abortable } from './abortable.ts';
import type { DpopProver } from './dpop/create-dpop-prover.ts';
import { isWritClientError } from './errors.ts';
import type { FetchLike } from './options.ts';
import { type OutgoingRequest, prepareRequest } from './outgoing-request.ts';
import { isRedirect, maxRedirects, redirectHop, withoutBodyHeaders } from './redirects.ts';
import type { SessionTiming } from './refresh-schedule.ts';
import { discard } from './service-responses.ts';
import type { SessionKeeper } from './session-keeper.ts';
import type { SessionTransport } from './session-transport.ts';

export interface AuthorizedFetchDeps<S extends SessionTiming> {
  readonly issuer: string;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly fetch: FetchLike;
  readonly transport: SessionTransport<S>;
  readonly keeper: SessionKeeper<S>;
  /** The DPoP prover, when the client has one. */
  readonly dpop: (() => Promise<DpopProver>) | undefined;
}

/**
 * `fetch` with the session's credentials: refreshed first when due, and retried once after a
 * 401 with a refreshed session. Never more than once — a second 401 is the caller's answer —
 * and never when the body was a one-shot stream.
 */
export function createAuthorizedFetch<S extends SessionTiming>(
  deps: AuthorizedFetchDeps<S>,
): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response> {
  const { transport, keeper } = deps;

  const trusted = (url: URL) => deps.allowedOrigins.has(url.origin);

  /**
   * A DPoP-bound session's proof for this one request (method and URL of this hop, hash of the
   * token): a new one for every request, retry and redirect hop, since each is single-use.
   */
  const addProof = async (headers: Headers, method: string, url: string, session: S) => {
    const bound = transport.dpopBoundToken(session);
    if (bound === undefined || deps.dpop === undefined) return;
    const prover = await deps.dpop();
    headers.set('dpop', await prover.proof({ method, url, accessToken: bound }));
  };

  /**
   * Sends `request` with `session`'s credentials. When the client added a header (Authorization,
   * X-CSRF-Token) and the caller left redirects to `fetch`, the client follows them itself, and
   * only while they stay on origins the credentials may go to: a redirect anywhere else is
   * handed back to the caller unfollowed, as `redirect: 'manual'` would. A browser does not let
   * a script see where an unfollowed redirect leads, so there such a request resolves with the
   * `opaqueredirect` response. A caller that chose `manual` or `error` gets exactly that.
   */
  const send = async (request: OutgoingRequest, session: S): Promise<Response> => {
    const credentials =
      transport.credentials === undefined ? {} : { credentials: transport.credentials };
    const firstHeaders = new Headers(request.headers);
    transport.authorize(session, firstHeaders, request.method);
    await addProof(firstHeaders, request.method, request.url, session);
    const addedHeaders = [...firstHeaders].some(
      ([name, value]) => request.headers.get(name) !== value,
    );
    if (!addedHeaders || request.redirect !== 'follow') {
      return deps.fetch(request.input, { ...request.init, headers: firstHeaders, ...credentials });
    }
    let response = await deps.fetch(request.input, {
      ...request.init,
      headers: firstHeaders,
      ...credentials,
      redirect: 'manual',
    });
    let url = request.url;
    let method = request.method;
    let callerHeaders = request.headers;
    let body = request.init.body;
    for (let redirects = 0; isRedirect(response); redirects += 1) {
      const hop = redirectHop(response, url, method);
      // Not followable here, or it leaves the trusted origins: the credentials stay behind.
      if (hop === undefined || !trusted(hop.url)) return response;
      // A one-shot body was consumed by the request that got the redirect.
      if (hop.keepsBody && !request.replayable) return response;
      if (redirects === maxRedirects) {
        await discard(response);
        throw new TypeError('too many redirects');
      }
      await discard(response);
      if (!hop.keepsBody) {
        callerHeaders = withoutBodyHeaders(callerHeaders);
        body = undefined;
      }
      url = hop.url.href;
      method = hop.method;
      const headers = new Headers(callerHeaders);
      transport.authorize(session, headers, method);
      await addProof(headers, method, url, session);
      response = await deps.fetch(url, {
        ...request.init,
        method,
        headers,
        body: body ?? null,
        ...credentials,
        redirect: 'manual',
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
    }
    return response;
  };

  /** 401s that only asked for a DPoP nonce: no reason to refresh the session. */
  const askedForNonce = new WeakSet<Response>();

  /**
   * `send`, and once more with a new proof when the resource server asks for its DPoP nonce
   * (RFC 9449 §9): the nonce is not known until the first answer, so this is no failure.
   */
  const sendWithNonce = async (request: OutgoingRequest, session: S): Promise<Response> => {
    const response = await send(request, session);
    if (deps.dpop === undefined || transport.dpopBoundToken(session) === undefined) return response;
    const prover = await deps.dpop();
    const answeredBy = response.url === '' ? request.url : response.url;
    if (!(await prover.takeNonce(answeredBy, response))) return response;
    // A one-shot body cannot go again: the caller gets the 401, and no refresh is made for it
    // (the token was fine; the next request carries the nonce).
    if (!request.replayable) {
      askedForNonce.add(response);
      return response;
    }
    await discard(response);
    return send(request, session);
  };

  /** The session to retry with after a 401, or undefined to hand the 401 to the caller. */
  const retrySession = async (request: OutgoingRequest, used: S): Promise<S | undefined> => {
    // A brand-new token was refused before: these 401s are not about freshness (wrong audience,
    // missing permission, a resource server's own policy), and refreshing again would not help.
    if (keeper.refusedWhileFresh(used)) return undefined;
    try {
      return await abortable(keeper.renewAfter(used), request.signal);
    } catch (error) {
      // The service could not refresh right now; the caller still gets its answer, the 401.
      if (isWritClientError(error) && !isWritClientError(error, 'token_store_failed')) {
        return undefined;
      }
      throw error;
    }
  };

  /**
   * Whether the answer says this page's credentials are out of date: a 401, or in cookie mode a
   * CSRF mismatch — another tab signed in again, the cookies now belong to the newer session,
   * and one refresh brings this page that session's CSRF value.
   */
  const credentialsStale = async (response: Response): Promise<boolean> => {
    if (response.status === 401) return true;
    if (response.status !== 403 || transport.credentials !== 'include') return false;
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined); // not JSON: not the service's CSRF answer
    return (body as { error?: unknown } | undefined)?.error === 'csrf_token_mismatch';
  };

  return async (input, init = {}) => {
    const request = prepareRequest(input, init, deps.issuer, deps.allowedOrigins);
    const session = await abortable(keeper.fresh(), request.signal);
    const first = await sendWithNonce(request, session);
    if (askedForNonce.has(first) || !(await credentialsStale(first))) return first;
    // Refresh even when the request cannot be replayed, so the next one goes out with a good
    // session (or the app learns the session has ended).
    const renewed = await retrySession(request, session);
    if (renewed === undefined || renewed === session || !request.replayable) return first;
    await discard(first);
    const second = await sendWithNonce(request, renewed);
    if (second.status === 401) keeper.markRefusedWhileFresh(renewed);
    return second;
  };
}
