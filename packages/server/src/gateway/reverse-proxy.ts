import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  createNodePhantomExchange,
  type PhantomExchangeOptions,
  type PhantomTokenExchanger,
} from '@writ/verify/phantom';
import { clientResponseHeaders, singleHost, upstreamRequestHeaders } from './forwarded-headers.ts';

/** Why a request was not forwarded, or its forwarding broke. Never a token, never a body. */
export interface GatewayErrorEvent {
  readonly code: 'upstream_unreachable' | 'upstream_timeout' | 'upstream_response_broken';
  readonly error?: unknown;
}

export interface ReverseProxyOptions extends PhantomExchangeOptions {
  readonly exchanger: PhantomTokenExchanger;
  /** Where requests go: `http(s)://host[:port][/prefix]`. The request's path is appended to the prefix. */
  readonly upstream: URL;
  /** Most connections open to the upstream at once (further requests queue in the agent). Default 256. */
  readonly maxUpstreamSockets?: number;
  /** An upstream silent this long (before or while answering) is abandoned: 504, or the answer cut. Default 30 000 ms. */
  readonly upstreamTimeoutMs?: number;
  /** How the clients reach the gateway, for `X-Forwarded-Proto`. Default `http`. */
  readonly clientProto?: 'http' | 'https';
  readonly onError?: (event: GatewayErrorEvent) => void;
}

export interface ReverseProxy {
  readonly handle: (request: IncomingMessage, response: ServerResponse) => void;
  /** Closes the upstream connections. */
  close(): void;
}

function answer(response: ServerResponse, status: number, error: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.end(JSON.stringify({ error }));
}

/**
 * A path segment `.` or `..`, literal or percent-encoded. Forwarded under an upstream prefix,
 * `/../admin` would leave the prefix once the upstream normalises it, so such paths are refused.
 */
const dotSegment = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/** An opaque token standing alone in a field value (a `Cookie`, an `X-Api-Token`…). */
const opaqueToken = /(?<![A-Za-z0-9_-])wat_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/;

/**
 * Whether a field other than `Authorization` carries an opaque token. Those fields are forwarded
 * as they are, so the upstream — which must never see an opaque token — would receive it; such a
 * request is refused rather than forwarded. (`Authorization` is where the token belongs, and is
 * replaced by the exchange; bodies are streamed, not read.)
 */
function otherFieldCarriesOpaqueToken(raw: readonly string[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === 'authorization') continue;
    if (opaqueToken.test(raw[i + 1] ?? '')) return true;
  }
  return false;
}

/** Origin-form only (`/path?query`): absolute-form belongs to forward proxies, `*` to OPTIONS of the gateway. */
function forwardablePath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/') || url.startsWith('//')) return undefined;
  const queryStart = url.indexOf('?');
  const path = queryStart === -1 ? url : url.slice(0, queryStart);
  if (dotSegment.test(path) || path.includes('\\')) return undefined;
  return url;
}

/**
 * The gateway's request handler: exchange the opaque token (answering 400/401/403/503 itself
 * when it cannot), then forward the request to the upstream with `Authorization: Bearer <at+jwt>`
 * and stream both bodies through without buffering them. The upstream never sees the opaque
 * token in a URL or a header field: the exchange replaces it in `Authorization`, and requests
 * carrying one anywhere else are refused.
 * Upstream failures answer 502 (504 on a timeout) with no detail of what went wrong.
 */
export function createReverseProxy(options: ReverseProxyOptions): ReverseProxy {
  const { upstream, exchanger } = options;
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new TypeError('upstream must be an http or https URL');
  }
  const https = upstream.protocol === 'https:';
  const prefix = upstream.pathname.replace(/\/+$/, '');
  const timeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxUpstreamSockets ?? 256,
    maxFreeSockets: 32,
    timeout: timeoutMs,
  };
  const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = https ? httpsRequest : httpRequest;
  const onError = options.onError ?? (() => {});
  const exchange = createNodePhantomExchange(exchanger, options);
  const clientProto = options.clientProto ?? 'http';

  const forward = (request: IncomingMessage, response: ServerResponse, path: string): void => {
    // The client may have gone while its token was being exchanged: nothing left to forward.
    if (request.destroyed || response.destroyed) return;
    const headers = upstreamRequestHeaders(request.rawHeaders, {
      upstreamHost: upstream.host,
      clientAddress: request.socket.remoteAddress,
      clientHost: singleHost(request.rawHeaders),
      proto: clientProto,
    });
    const outgoing = send({
      protocol: upstream.protocol,
      hostname: upstream.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: upstream.port === '' ? undefined : Number(upstream.port),
      method: request.method,
      path: `${prefix}${path}`,
      headers,
      agent,
      timeout: timeoutMs,
    });
    let answered = false;
    outgoing.on('timeout', () => {
      onError({ code: 'upstream_timeout' });
      outgoing.destroy();
      if (!answered) {
        answered = true;
        answer(response, 504, 'gateway_timeout');
      } else {
        response.destroy();
      }
    });
    outgoing.on('error', (error) => {
      if (answered) {
        response.destroy();
        return;
      }
      answered = true;
      onError({ code: 'upstream_unreachable', error });
      answer(response, 502, 'bad_gateway');
    });
    outgoing.on('response', (upstreamResponse) => {
      answered = true;
      try {
        response.writeHead(
          upstreamResponse.statusCode ?? 502,
          clientResponseHeaders(upstreamResponse.rawHeaders),
        );
      } catch (error) {
        // A status or field node:http will not send (it throws here, in an event handler, where
        // it would take the whole gateway down): the upstream's answer is unusable.
        onError({ code: 'upstream_response_broken', error });
        upstreamResponse.destroy();
        answer(response, 502, 'bad_gateway');
        return;
      }
      upstreamResponse.pipe(response);
      upstreamResponse.on('error', (error) => {
        onError({ code: 'upstream_response_broken', error });
        response.destroy();
      });
      // Cut short by the upstream: the client must not take a truncated body for a whole one.
      upstreamResponse.on('close', () => {
        if (!upstreamResponse.complete) response.destroy();
      });
    });
    // A client that goes away takes its upstream request with it.
    response.on('close', () => {
      if (!response.writableFinished) {
        outgoing.destroy();
      }
    });
    request.on('error', () => outgoing.destroy());
    request.pipe(outgoing);
  };

  return {
    handle(request, response) {
      const path = forwardablePath(request.url);
      if (path === undefined || otherFieldCarriesOpaqueToken(request.rawHeaders)) {
        answer(response, 400, 'invalid_request');
        return;
      }
      exchange(request, response).then(
        (accessToken) => {
          if (accessToken !== undefined) forward(request, response, path);
        },
        () => answer(response, 500, 'server_error'),
      );
    },
    close() {
      agent.destroy();
    },
  };
}
