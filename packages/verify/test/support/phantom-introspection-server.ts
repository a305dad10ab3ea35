import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JWTPayload, SignJWT } from 'jose';
import type { SigningKey } from '../../../../test/support/keys.ts';
import { listenOnLoopback } from '../../../../test/support/loopback.ts';
import { audience, issuer, nowSec, sign, validClaims } from './tokens.ts';

/**
 * An introspection endpoint on 127.0.0.1 that answers as the test says, signing with keys the test
 * holds: for the exchanger's checks of the signed answer (a wrong `aud`, `typ`, signature…), which
 * the real token service never gets wrong. The exchange against the real service is tested in
 * packages/server/test/gateway-*.test.ts.
 */
export interface IntrospectionAnswer {
  readonly status?: number;
  readonly contentType?: string;
  readonly body: string;
  readonly delayMs?: number;
  readonly location?: string;
}

export interface SeenIntrospection {
  readonly method: string;
  readonly authorization: string | undefined;
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

export interface IntrospectionServer {
  /** `http://127.0.0.1:<port>/oauth/introspect` */
  readonly url: string;
  readonly origin: string;
  /** Every introspection request received, in order. */
  readonly seen: readonly SeenIntrospection[];
  /** How the next requests are answered, from the `token` parameter. */
  answerWith(answer: (token: string) => IntrospectionAnswer | Promise<IntrospectionAnswer>): void;
  close(): Promise<void>;
}

export const gatewayClientId = 'wc_gateway_test_client_0001';
export const gatewayClientSecret = 'gateway secret: with spaces & symbols!';

/** A fresh well-shaped opaque token, as the service mints them. */
export const newOpaqueToken = (): string => `wat_${randomBytes(32).toString('base64url')}`;

/** Signs an RFC 9701 answer; `claims` and `header` override the defaults, `undefined` removes one. */
export async function signIntrospection(
  key: SigningKey,
  tokenIntrospection: Record<string, unknown>,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries({
      iss: issuer,
      aud: gatewayClientId,
      iat: nowSec(),
      token_introspection: tokenIntrospection,
      ...claims,
    }).filter(([, value]) => value !== undefined),
  ) as JWTPayload;
  const protectedHeader = Object.fromEntries(
    Object.entries({
      alg: key.alg,
      typ: 'token-introspection+jwt',
      kid: key.kid,
      ...header,
    }).filter(([, value]) => value !== undefined),
  );
  return new SignJWT(payload)
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey);
}

/** An active answer standing for `accessToken` (by default a fresh valid at+jwt). */
export async function activeAnswer(
  key: SigningKey,
  accessToken?: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<IntrospectionAnswer> {
  const inner = accessToken ?? (await sign(key, validClaims()));
  return jwtAnswer(
    await signIntrospection(
      key,
      {
        active: true,
        client_id: 'app',
        scope: 'read write',
        aud: audience,
        writ_access_token: inner,
      },
      claims,
      header,
    ),
  );
}

export const jwtAnswer = (body: string): IntrospectionAnswer => ({
  contentType: 'application/token-introspection+jwt',
  body,
});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startIntrospectionServer(): Promise<IntrospectionServer> {
  const seen: SeenIntrospection[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let answer: (token: string) => IntrospectionAnswer | Promise<IntrospectionAnswer> = () => ({
    status: 500,
    body: '',
  });
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    seen.push({
      method: request.method ?? '',
      authorization: request.headers.authorization,
      accept: request.headers.accept,
      contentType: request.headers['content-type'],
      body,
    });
    const token = new URLSearchParams(body).get('token') ?? '';
    const reply = await answer(token);
    const send = (): void => {
      if (response.destroyed) return;
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (reply.contentType !== undefined) headers['content-type'] = reply.contentType;
      if (reply.location !== undefined) headers.location = reply.location;
      response.writeHead(reply.status ?? 200, headers);
      response.end(reply.body);
    };
    if (reply.delayMs === undefined) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, reply.delayMs);
    timers.add(timer);
  };
  const listener = await listenOnLoopback((request, response) => {
    void handle(request, response);
  });
  return {
    url: `${listener.origin}/oauth/introspect`,
    origin: listener.origin,
    seen,
    answerWith(next) {
      answer = next;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await listener.close();
    },
  };
}
