import {
  DefaultAlgorithms,
  isAsymmetricAlgorithm,
  type JwsAlgorithm,
  type RejectReason,
  TokenKind,
} from '@writ/core';
import { createVerifier, type Verifier, type VerifierOptions } from '@writ/verify';
import type { DecodedJws } from './decode.ts';
import { discoverJwksUri, metadataUrlOf } from './discovery.ts';
import { errorText } from './error-text.ts';
import { readJwksFile } from './jwks-file.ts';
import { explainFailure, type VerificationFailure } from './reasons.ts';
import { own } from './record.ts';
import { redactUserinfo } from './redact.ts';
import { looksLikeUrl } from './remote-url.ts';

/** What to verify against: `--jwks <url-or-file>`, `--issuer <url>`, or both. */
export interface VerifyTarget {
  readonly jwks: string | undefined;
  readonly issuer: string | undefined;
}

/**
 * What the verifier was told to expect, and where each value came from. Values taken from the
 * token only show the token is consistent with itself; the report says so.
 */
export interface VerificationSettings {
  readonly keys: string;
  readonly keysFrom: 'jwks-url' | 'jwks-file' | 'issuer-metadata';
  /** `undefined` when neither `--issuer` nor the token gives a usable one. */
  readonly issuer: string | undefined;
  readonly issuerFrom: 'option' | 'token';
  readonly audience: readonly string[];
  readonly algorithms: readonly string[];
  readonly algorithmsFrom: 'token' | 'default';
  readonly tokenTypes: readonly string[];
  readonly tokenTypesFrom: 'token' | 'default';
}

export type Verification =
  | { readonly verified: true; readonly settings: VerificationSettings }
  | {
      readonly verified: false;
      readonly reason: VerificationFailure;
      readonly explanation: string;
      /** More about the failure when there is any (a download error, a bad option). */
      readonly detail: string | undefined;
      readonly settings: VerificationSettings | undefined;
    };

type Policy = Omit<VerificationSettings, 'keys' | 'keysFrom'>;

type KeySource =
  | {
      readonly ok: true;
      readonly keys: string;
      readonly keysFrom: VerificationSettings['keysFrom'];
      readonly option: Pick<VerifierOptions, 'jwks' | 'jwksUri'>;
    }
  | {
      readonly ok: false;
      readonly keys: string;
      readonly keysFrom: VerificationSettings['keysFrom'];
      readonly reason: VerificationFailure;
      readonly detail: string;
    };

/**
 * Stands in for an issuer or audience the token lacks: `createVerifier` requires both, and the
 * token then fails with `bad_claims`, which is the honest answer.
 */
const absent = 'urn:writ:inspect:absent';

export function failed(
  reason: VerificationFailure,
  detail: string | undefined,
  settings: VerificationSettings | undefined,
): Verification {
  return { verified: false, reason, explanation: explainFailure(reason), detail, settings };
}

function nonEmptyStrings(value: unknown): readonly string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.filter((member): member is string => typeof member === 'string' && member !== '');
}

/**
 * Expectations taken from the token where inspect cannot know the operator's: the audience
 * always, the issuer unless `--issuer` names it, the token's own `alg` when it is one a key set
 * can verify (HMAC needs the shared secret, which inspect never takes), and its own `typ`.
 */
function policyFor(decoded: DecodedJws, issuerOption: string | undefined): Policy {
  const iss = own(decoded.claims, 'iss');
  const alg = own(decoded.header, 'alg');
  const typ = own(decoded.header, 'typ');
  const tokenIssuer = typeof iss === 'string' && iss !== '' ? iss : undefined;
  const ownAlg = typeof alg === 'string' && isAsymmetricAlgorithm(alg);
  const ownTyp = typeof typ === 'string' && typ !== '';
  return {
    issuer: issuerOption ?? tokenIssuer,
    issuerFrom: issuerOption === undefined ? 'token' : 'option',
    audience: nonEmptyStrings(own(decoded.claims, 'aud')),
    algorithms: ownAlg ? [alg] : [...DefaultAlgorithms],
    algorithmsFrom: ownAlg ? 'token' : 'default',
    tokenTypes: ownTyp ? [typ] : [TokenKind.access],
    tokenTypesFrom: ownTyp ? 'token' : 'default',
  };
}

async function resolveKeys(target: VerifyTarget): Promise<KeySource> {
  if (target.jwks !== undefined && looksLikeUrl(target.jwks)) {
    return { ok: true, keys: target.jwks, keysFrom: 'jwks-url', option: { jwksUri: target.jwks } };
  }
  if (target.jwks !== undefined) {
    const file = await readJwksFile(target.jwks);
    return file.ok
      ? { ok: true, keys: target.jwks, keysFrom: 'jwks-file', option: { jwks: file.jwks } }
      : {
          ok: false,
          keys: target.jwks,
          keysFrom: 'jwks-file',
          reason: 'jwks_unreadable',
          detail: file.error.message,
        };
  }
  const issuer = target.issuer ?? '';
  const discovery = await discoverJwksUri(issuer);
  return discovery.ok
    ? {
        ok: true,
        keys: discovery.jwksUri,
        keysFrom: 'issuer-metadata',
        option: { jwksUri: discovery.jwksUri },
      }
    : {
        ok: false,
        keys: metadataUrlOf(issuer),
        keysFrom: 'issuer-metadata',
        reason: discovery.reason,
        detail: discovery.detail,
      };
}

/**
 * Verifies the token with `@writ/verify`, exactly as a resource server would, except that the
 * expectations come from the options and the token (see `policyFor`). The reason a token is
 * refused, which a resource server keeps to itself, is reported: inspect runs for the operator.
 */
export async function verifyToken(
  decoded: DecodedJws,
  target: VerifyTarget,
): Promise<Verification> {
  const policy = policyFor(decoded, target.issuer);
  const keys = await resolveKeys(target);
  const settings: VerificationSettings = {
    keys: redactUserinfo(keys.keys),
    keysFrom: keys.keysFrom,
    ...policy,
  };
  if (!keys.ok) return failed(keys.reason, keys.detail, settings);

  let reason: RejectReason | undefined;
  let detail: string | undefined;
  let keySetError: string | undefined;
  let verifier: Verifier;
  try {
    verifier = createVerifier({
      ...keys.option,
      issuer: policy.issuer ?? absent,
      audience: policy.audience.length > 0 ? policy.audience : absent,
      algorithms: policy.algorithms as readonly JwsAlgorithm[],
      tokenTypes: policy.tokenTypes,
      cacheSize: 0,
      onReject: (event) => {
        reason = event.reason;
        if (event.error !== undefined) detail = errorText(event.error);
      },
      onKeySetError: (error) => {
        keySetError = errorText(error);
      },
    });
  } catch (error) {
    const prefix = keys.keysFrom === 'issuer-metadata' ? "the metadata's jwks_uri: " : '';
    return failed('invalid_option', `${prefix}${errorText(error)}`, settings);
  }
  try {
    await verifier.verify(decoded.token);
    return { verified: true, settings };
  } catch {
    const why = reason ?? 'internal_error';
    return failed(
      why,
      detail ?? (why === 'key_set_unavailable' ? keySetError : undefined),
      settings,
    );
  }
}
