/** What an unverified access token claims to be for, to pick the verifier that checks it. */
export interface PeekedToken {
  readonly audience: string;
  readonly clientId: string | undefined;
}

const maxTokenLength = 8192;

/**
 * Reads `aud` and `client_id` from the payload of the one `Authorization` credential, without
 * trusting them: they only choose which verifier checks the signature, which then checks them.
 * `undefined` for anything unusual (no header, two headers, another scheme, not a JWT), which the
 * default verifier then refuses with the standard answer.
 */
export function peekToken(rawHeaders: readonly string[]): PeekedToken | undefined {
  let authorization: string | undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() !== 'authorization') continue;
    if (authorization !== undefined) return undefined;
    authorization = rawHeaders[i + 1];
  }
  const match =
    authorization === undefined ? null : /^(?:bearer|dpop) +([^ ]+) *$/i.exec(authorization);
  const token = match?.[1];
  if (token === undefined || token.length > maxTokenLength) return undefined;
  const segments = token.split('.');
  if (segments.length !== 3 || segments[1] === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segments[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { aud, client_id: clientId } = payload as { aud?: unknown; client_id?: unknown };
  if (typeof aud !== 'string') return undefined;
  return { audience: aud, clientId: typeof clientId === 'string' ? clientId : undefined };
}
