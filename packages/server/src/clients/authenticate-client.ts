import { Policy } from '@writ/core';
import {
  decodeJwt,
  decodeProtectedHeader,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { clientAssertionAlgorithms } from './client-jwks.ts';
import type { ClientAuthMethod, ClientRecord } from './client-record.ts';
import { hashClientSecret, secretHashMatches } from './client-secret.ts';
import type { ClientsStores } from './clients-store.ts';
import { decoyKeyFor } from './decoy-keys.ts';
import type { StoredClient } from './stored-client.ts';

export interface ClientAuthenticationRequest {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The form parameters, each given once (the endpoint refuses duplicates before this). */
  readonly params: ReadonlyMap<string, string>;
}

export type ClientAuthentication =
  | { readonly ok: true; readonly client: ClientRecord }
  | {
      readonly ok: false;
      readonly status: 400 | 401;
      readonly error: 'invalid_client' | 'invalid_request';
      /** Set when the client tried HTTP Basic (RFC 6749 §5.2: answer with the scheme it used). */
      readonly wwwAuthenticate?: string;
    };

export const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 7523 leaves the bound to the server: five minutes covers clock drift and a slow network. */
const maxAssertionLifetimeSec = 300;
const maxAssertionLength = 8192;
const maxSecretLength = 512;
const clientIdShape = /^[\x21-\x7e]{1,128}$/;
const jtiShape = /^[\x21-\x7e]{1,256}$/;
const basicHeader = /^[Bb][Aa][Ss][Ii][Cc] +([A-Za-z0-9+/]+={0,2}) *$/;
const acceptedAssertionTypes = new Set([undefined, 'JWT', 'client-authentication+jwt']);

type AuthenticationContext = {
  readonly config: Pick<ServiceConfig, 'issuer'>;
  readonly db: UnitOfWork<ClientsStores>;
};

const invalidRequest: ClientAuthentication = {
  ok: false,
  status: 400,
  error: 'invalid_request',
};

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined for Basic. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}

function parseBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = basicHeader.exec(header);
  if (match?.[1] === undefined) return;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || secret === undefined) return;
  return { clientId, secret };
}

function liveWithMethod(
  stored: StoredClient | undefined,
  method: ClientAuthMethod,
): stored is StoredClient {
  return (
    stored !== undefined && stored.record.disabledAt === null && stored.record.authMethod === method
  );
}

/**
 * Checks a client secret. The hash and the constant-time comparison run whether or not the
 * client exists (against a decoy hash when it does not), and both the current and the previous
 * secret are always compared, so the answer takes the same work in every case.
 */
async function checkSecret(
  context: AuthenticationContext,
  clientId: string,
  secret: string,
  method: 'client_secret_basic' | 'client_secret_post',
  nowMs: number,
): Promise<ClientRecord | undefined> {
  const wellFormed =
    clientIdShape.test(clientId) && secret.length > 0 && secret.length <= maxSecretLength;
  const stored = wellFormed ? await context.db.clients.findById(clientId) : undefined;
  const presented = hashClientSecret(secret.slice(0, maxSecretLength));
  const current = secretHashMatches(presented, stored?.secretHash ?? null);
  const previous = secretHashMatches(presented, stored?.previousSecretHash ?? null);
  const previousLive = (stored?.previousSecretExpiresAt ?? 0) > nowMs;
  if (!wellFormed || !liveWithMethod(stored, method)) return;
  return current || (previous && previousLive) ? stored.record : undefined;
}

/** The client's key the assertion names (by kid, else its only key fitting the algorithm). */
function assertionKey(
  jwks: JSONWebKeySet | null,
  alg: string,
  kid: string | undefined,
): JWK | undefined {
  if (jwks === null) return;
  const fitting = jwks.keys.filter((key) => {
    if (key.alg !== undefined && key.alg !== alg) return false;
    if (kid !== undefined && key.kid !== kid) return false;
    return decoyKeyFor(alg).kty === key.kty;
  });
  return fitting.length === 1 ? fitting[0] : undefined;
}

function audienceIsOurs(aud: JWTPayload['aud'], accepted: readonly string[]): boolean {
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  // Every audience must be ours: an assertion also addressed to another server could be replayed
  // by that server here (the "audience injection" attack on private_key_jwt).
  return audiences.length > 0 && audiences.every((value) => accepted.includes(value));
}

/**
 * RFC 7523 client authentication: a JWT signed with one of the client's registered keys,
 * iss = sub = client_id, aud the issuer, the token endpoint (or the PAR endpoint, RFC 9126 §2),
 * exp required and at most five
 * minutes ahead, a jti used once. The signature is checked (against a decoy key when the client
 * or its key is unknown) before anything about the client decides the answer.
 */
async function checkAssertion(
  context: AuthenticationContext,
  assertion: string,
  claimedClientId: string | undefined,
  nowMs: number,
): Promise<ClientRecord | undefined> {
  if (assertion.length > maxAssertionLength) return;
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    unverified = decodeJwt(assertion);
  } catch {
    return;
  }
  const clientId = unverified.sub;
  if (typeof clientId !== 'string' || !clientIdShape.test(clientId) || unverified.iss !== clientId)
    return;
  if (claimedClientId !== undefined && claimedClientId !== clientId) return;
  const alg = header.alg;
  if (typeof alg !== 'string' || !clientAssertionAlgorithms.includes(alg)) return;
  if (!acceptedAssertionTypes.has(header.typ)) return;
  if (header.crit !== undefined) return;

  const stored = await context.db.clients.findById(clientId);
  const clientKey = assertionKey(stored?.jwks ?? null, alg, header.kid);
  const nowSec = Math.floor(nowMs / 1000);
  const { issuer } = context.config;
  let payload: JWTPayload;
  try {
    const key = await importJWK(clientKey ?? decoyKeyFor(alg), alg);
    ({ payload } = await jwtVerify(assertion, key, {
      algorithms: [alg],
      issuer: clientId,
      subject: clientId,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(nowMs),
      clockTolerance: Policy.clockToleranceDefaultSec,
    }));
  } catch {
    return;
  }
  if (clientKey === undefined || !liveWithMethod(stored, 'private_key_jwt')) return;
  // RFC 9126 §2 adds the PAR endpoint to what an assertion may name.
  if (!audienceIsOurs(payload.aud, [issuer, `${issuer}/oauth/token`, `${issuer}/oauth/par`]))
    return;
  const exp = payload.exp;
  if (typeof exp !== 'number' || exp > nowSec + maxAssertionLifetimeSec) return;
  if (typeof payload.iat === 'number' && payload.iat > nowSec + Policy.clockToleranceDefaultSec)
    return;
  const jti = payload.jti;
  if (typeof jti !== 'string' || !jtiShape.test(jti)) return;
  // Kept until exp (plus the tolerance jose allowed past it): a copy is refused as long as it could verify.
  const forgetAtMs = (exp + Policy.clockToleranceDefaultSec) * 1000;
  const firstUse = await context.db.transaction((tx) =>
    tx.clients.recordAssertion(clientId, jti, forgetAtMs, nowMs),
  );
  return firstUse ? stored.record : undefined;
}

/**
 * Authenticates the client of an OAuth request (token, PAR, revocation, introspection): exactly
 * one method per request (two → 400 invalid_request, RFC 6749 §2.3), and it must be the one the
 * client registered. Every failure is the same 401 invalid_client — unknown client, wrong secret,
 * wrong method, disabled client, bad or replayed assertion — so nothing says which check failed.
 */
export async function authenticateClient(
  context: AuthenticationContext,
  request: ClientAuthenticationRequest,
  nowMs: number,
): Promise<ClientAuthentication> {
  const authorization = request.headers.authorization;
  if (Array.isArray(authorization)) return invalidRequest;
  const usesBasic = typeof authorization === 'string' && /^basic(\s|$)/i.test(authorization);
  const { params } = request;
  const usesPost = params.has('client_secret');
  const usesAssertion = params.has('client_assertion') || params.has('client_assertion_type');
  if (Number(usesBasic) + Number(usesPost) + Number(usesAssertion) > 1) return invalidRequest;
  const claimedClientId = params.get('client_id');

  let client: ClientRecord | undefined;
  if (usesBasic) {
    const credentials = parseBasic(authorization as string);
    if (
      credentials !== undefined &&
      (claimedClientId === undefined || claimedClientId === credentials.clientId)
    ) {
      client = await checkSecret(
        context,
        credentials.clientId,
        credentials.secret,
        'client_secret_basic',
        nowMs,
      );
    }
    if (client === undefined) {
      return {
        ok: false,
        status: 401,
        error: 'invalid_client',
        wwwAuthenticate: 'Basic realm="writ", charset="UTF-8"',
      };
    }
    return { ok: true, client };
  }
  if (usesPost) {
    const secret = params.get('client_secret') ?? '';
    if (claimedClientId !== undefined)
      client = await checkSecret(context, claimedClientId, secret, 'client_secret_post', nowMs);
  } else if (usesAssertion) {
    const assertion = params.get('client_assertion');
    if (params.get('client_assertion_type') === jwtBearerAssertionType && assertion !== undefined)
      client = await checkAssertion(context, assertion, claimedClientId, nowMs);
  } else if (claimedClientId !== undefined && clientIdShape.test(claimedClientId)) {
    // A public client: the id alone, which is why PKCE is always required of it.
    const stored = await context.db.clients.findById(claimedClientId);
    if (liveWithMethod(stored, 'none')) client = stored.record;
  }
  return client === undefined
    ? { ok: false, status: 401, error: 'invalid_client' }
    : { ok: true, client };
}
