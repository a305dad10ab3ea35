import { type Finding, finding } from './findings.ts';
import { isJsonObject, type JsonObject } from './record.ts';

/** A compact JWS whose header and payload decoded to JSON objects. Nothing about it is trusted. */
export interface DecodedJws {
  readonly form: 'jws';
  /** The token as inspected (surrounding whitespace and a `Bearer ` prefix removed). */
  readonly token: string;
  readonly header: JsonObject;
  readonly claims: JsonObject;
  readonly signatureBytes: number;
  readonly sizeBytes: number;
  /** Encoding problems that did not stop decoding. */
  readonly findings: readonly Finding[];
}

/** Input that is not a compact JWT: recognised (JWE, JWS JSON) or malformed. */
export interface Undecodable {
  readonly form: 'jwe' | 'jws-json' | 'malformed';
  /** A header that could still be read (a JWE's protected header), for display. */
  readonly header: JsonObject | undefined;
  readonly sizeBytes: number;
  readonly findings: readonly Finding[];
}

export type Decoded = DecodedJws | Undecodable;

/** Beyond any verifier's limit (Writ's ceiling is 64 KiB); not worth decoding. */
const maxInputBytes = 64 * 1024;
/** Claims nest a few levels at most; deeper input is refused so nothing later can overflow the stack. */
const maxNesting = 32;

const segmentNames = ['header', 'payload', 'signature'] as const;
const base64urlAlphabet = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(message: string, sizeBytes: number, header?: JsonObject): Undecodable {
  return {
    form: 'malformed',
    header,
    sizeBytes,
    findings: [finding('malformed', 'critical', message)],
  };
}

/** Nesting depth of a parsed JSON value, iteratively, stopping once past `limit`. */
function nestingExceeds(value: unknown, limit: number): boolean {
  const pending: Array<readonly [unknown, number]> = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const member of Object.values(current)) pending.push([member, depth + 1]);
  }
  return false;
}

/** Parses JSON text into an object, or says in words why it is not one. */
function parseObject(text: string): JsonObject | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'is not valid JSON';
  }
  if (!isJsonObject(parsed)) return 'is JSON but not an object';
  if (nestingExceeds(parsed, maxNesting)) return `nests deeper than ${maxNesting} levels`;
  return parsed;
}

function decodeSegmentObject(segment: string): JsonObject | string {
  let text: string;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
  } catch {
    return 'is not valid UTF-8';
  }
  return parseObject(text);
}

/**
 * Whether the last character leaves the unused low bits zero. Otherwise several strings decode
 * to the same bytes, and strict verifiers (Writ's) refuse the token as malleable.
 */
function isCanonical(segment: string): boolean {
  // Node's decoder ignores the spare bits, so re-encoding yields the one canonical spelling.
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

function decodeJsonSerialisation(input: string, sizeBytes: number): Decoded {
  const parsed = parseObject(input);
  if (typeof parsed === 'string') {
    return malformed(`The input starts like JSON but ${parsed}, so it is not a token.`, sizeBytes);
  }
  if (Object.hasOwn(parsed, 'ciphertext')) {
    return {
      form: 'jwe',
      header: undefined,
      sizeBytes,
      findings: [
        finding(
          'jwe',
          'critical',
          "This is an encrypted token in JWE JSON serialisation: its claims cannot be read without the recipient's key, and @writ/verify accepts only signed compact JWS.",
        ),
      ],
    };
  }
  if (Object.hasOwn(parsed, 'payload')) {
    return {
      form: 'jws-json',
      header: undefined,
      sizeBytes,
      findings: [
        finding(
          'jws-json',
          'critical',
          'This is a JWS in JSON serialisation, not a compact JWT: access-token verifiers (@writ/verify included) accept only the compact form, so every one refuses it.',
        ),
      ],
    };
  }
  return malformed(
    'The input is a JSON object but neither a JWS nor a JWE: a bare claims set is not a token.',
    sizeBytes,
  );
}

function decodeJwe(segments: readonly string[], sizeBytes: number): Undecodable {
  const first = segments[0] ?? '';
  const header = base64urlAlphabet.test(first) ? decodeSegmentObject(first) : 'is not base64url';
  // Five segments alone could be any dotted garbage; a JWE header names its content encryption.
  if (typeof header === 'string' || !Object.hasOwn(header, 'enc')) {
    return malformed(
      'The input has five segments like an encrypted token (JWE), but its first segment is not a JWE header, so it is neither a JWE nor a JWT.',
      sizeBytes,
    );
  }
  return {
    form: 'jwe',
    header,
    sizeBytes,
    findings: [
      finding(
        'jwe',
        'critical',
        "This is an encrypted token (JWE): its claims cannot be read without the recipient's key, and @writ/verify accepts only signed compact JWS.",
      ),
    ],
  };
}

/** Removes what commonly surrounds a token pasted from a request or a shell. */
function normalise(input: string): string {
  const trimmed = input.trim();
  const bearer = /^bearer\s+/i.exec(trimmed);
  return bearer === null ? trimmed : trimmed.slice(bearer[0].length);
}

/**
 * Decodes a token WITHOUT verifying it. Never throws: anything that is not a compact JWS with
 * JSON header and payload becomes an `Undecodable` with a finding that says why.
 */
export function decodeToken(input: string): Decoded {
  const token = normalise(input);
  const sizeBytes = Buffer.byteLength(token, 'utf8');
  if (token === '') return malformed('The input is empty: there is no token to inspect.', 0);
  if (sizeBytes > maxInputBytes) {
    return malformed(
      `The input is ${sizeBytes} bytes, more than any verifier accepts (Writ refuses tokens over 8 KiB by default), so it was not decoded.`,
      sizeBytes,
    );
  }
  if (token.startsWith('{')) return decodeJsonSerialisation(token, sizeBytes);
  const segments = token.split('.');
  if (segments.length === 5) return decodeJwe(segments, sizeBytes);
  if (segments.length !== 3) {
    return malformed(
      `A compact JWT has 3 dot-separated segments (header.payload.signature); this input has ${segments.length}.`,
      sizeBytes,
    );
  }
  const findings: Finding[] = [];
  for (const [index, segment] of segments.entries()) {
    const name = segmentNames[index] ?? 'segment';
    if (!base64urlAlphabet.test(segment)) {
      return malformed(
        `The ${name} segment has characters outside unpadded base64url (A-Z a-z 0-9 - _), so it cannot be decoded.`,
        sizeBytes,
      );
    }
    if (segment.length % 4 === 1) {
      return malformed(
        `The ${name} segment has an impossible base64url length (${segment.length}), so it cannot be decoded.`,
        sizeBytes,
      );
    }
    if (!isCanonical(segment)) {
      findings.push(
        finding(
          'non-canonical-encoding',
          'warning',
          `The ${name} segment is not canonical base64url (its last character has spare bits set): several strings then decode to the same token, so strict verifiers (Writ's) refuse it.`,
        ),
      );
    }
  }
  const [headerSegment = '', payloadSegment = '', signatureSegment = ''] = segments;
  if (headerSegment === '') return malformed('The header segment is empty.', sizeBytes);
  const header = decodeSegmentObject(headerSegment);
  if (typeof header === 'string') {
    return malformed(`The header ${header}, so this is not a JWS.`, sizeBytes);
  }
  if (payloadSegment === '') return malformed('The payload segment is empty.', sizeBytes, header);
  const claims = decodeSegmentObject(payloadSegment);
  if (typeof claims === 'string') {
    return malformed(
      `The payload ${claims}, so this JWS carries no JWT claims.`,
      sizeBytes,
      header,
    );
  }
  return {
    form: 'jws',
    token,
    header,
    claims,
    signatureBytes: Buffer.from(signatureSegment, 'base64url').byteLength,
    sizeBytes,
    findings,
  };
}
