import { Policy } from '@writ/core';
import { WritClientError } from './errors.ts';

/** A body-mode answer of `/auth/sign-in` or `/auth/refresh`. */
export interface BodyGrant {
  /** `DPoP` when the service bound the token to the client's DPoP key. */
  readonly tokenType: 'Bearer' | 'DPoP';
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresInSec: number;
}

/** A cookie-mode answer: the tokens went into cookies; the page gets only the CSRF value. */
export interface CookieGrant {
  readonly csrfToken: string;
  readonly expiresInSec: number;
}

/** RFC 6750 token68: anything else would be unsafe to put in an `Authorization` header. */
const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Visible ASCII: safe in a JSON body or a header. */
const visibleAscii = /^[\x21-\x7e]+$/;
const maxSecretLength = 16 * 1024;

function invalid(): never {
  throw new WritClientError('invalid_response');
}

function field(json: unknown, name: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) invalid();
  return (json as Record<string, unknown>)[name];
}

function secret(json: unknown, name: string, shape: RegExp): string {
  const value = field(json, name);
  if (typeof value !== 'string' || value.length > maxSecretLength || !shape.test(value)) invalid();
  return value;
}

/** The service never signs past Policy's lifetime; anything else is not a Writ answer. */
function expiresIn(json: unknown): number {
  const value = field(json, 'expires_in');
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > Policy.accessTokenMaxLifetimeSec
  ) {
    invalid();
  }
  return value;
}

export function readBodyGrant(json: unknown): BodyGrant {
  const tokenType = field(json, 'token_type');
  const scheme = typeof tokenType === 'string' ? tokenType.toLowerCase() : undefined;
  if (scheme !== 'bearer' && scheme !== 'dpop') invalid();
  return {
    tokenType: scheme === 'dpop' ? 'DPoP' : 'Bearer',
    accessToken: secret(json, 'access_token', token68),
    refreshToken: secret(json, 'refresh_token', visibleAscii),
    expiresInSec: expiresIn(json),
  };
}

export function readCookieGrant(json: unknown): CookieGrant {
  return { csrfToken: secret(json, 'csrf_token', visibleAscii), expiresInSec: expiresIn(json) };
}

/** The JSON body of a 2xx answer; a body that is not JSON is `invalid_response`. */
export async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text());
  } catch {
    invalid();
  }
}

/** `Retry-After` in seconds (the service sends whole seconds), if present and sane. */
export function retryAfterSec(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Lets go of an answer's body we do not read, so the connection is freed. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {}
}
