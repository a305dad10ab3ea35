import {
  type AccessTokenClaims,
  type JoseHeader,
  missingScopes,
  type RejectReason,
} from '@writ/core';
import { type ClaimsPolicy, checkClaimTimes } from './claims-check.ts';
import { Rejection } from './rejection.ts';
import type { Revocations } from './revocation/revocations.ts';

/** A token whose signature and claim shapes have been checked: what the cache holds. */
export interface SignedToken {
  readonly header: JoseHeader;
  readonly claims: AccessTokenClaims;
  /** The token's scopes, parsed once. */
  readonly scopes: ReadonlySet<string>;
}

/** Per-request additions to the verifier's fixed policy. */
export interface VerifyContext {
  /** Scopes this request needs on top of the verifier's `requiredScopes`. */
  readonly requiredScopes?: readonly string[];
}

export interface AfterSignaturePolicy {
  readonly claims: ClaimsPolicy;
  readonly revocations: Pick<Revocations, 'check'> | undefined;
  readonly requiredScopes: readonly string[];
}

/** Refusal for a valid token that lacks scopes: it becomes `InsufficientScopeError`, not 401. */
export class ScopeRejection extends Rejection {
  readonly required: readonly string[];

  constructor(required: readonly string[]) {
    super('insufficient_scope' satisfies RejectReason);
    this.required = required;
  }
}

type Check = (
  token: SignedToken,
  nowMs: number,
  context: VerifyContext | undefined,
  policy: AfterSignaturePolicy,
) => void;

const checkTimes: Check = (token, nowMs, _context, policy) => {
  checkClaimTimes(token.claims, policy.claims, nowMs / 1000);
};

const checkRevocations: Check = (token, nowMs, _context, policy) => {
  policy.revocations?.check(token.claims, token.header, nowMs);
};

const checkScopes: Check = (token, _nowMs, context, policy) => {
  const required =
    context?.requiredScopes === undefined
      ? policy.requiredScopes
      : [...policy.requiredScopes, ...context.requiredScopes];
  if (required.length > 0 && missingScopes(token.scopes, required).length > 0) {
    throw new ScopeRejection(required);
  }
};

/**
 * Everything judged after the signature, in order: what can change while a token is cached (the
 * clock, the revocation mirror) and what depends on the request (scopes). Cached and uncached
 * verifies both run exactly this list, so a check added here — DPoP, a lifetime bound — cannot be
 * skipped by a cache hit. Each check throws one typed reason.
 */
const checksAfterSignature: readonly Check[] = [checkTimes, checkRevocations, checkScopes];

export function checkAfterSignature(
  token: SignedToken,
  nowMs: number,
  context: VerifyContext | undefined,
  policy: AfterSignaturePolicy,
): void {
  for (const check of checksAfterSignature) check(token, nowMs, context, policy);
}
