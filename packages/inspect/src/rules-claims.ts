import { type Finding, finding, type Severity } from './findings.ts';
import type { Rule } from './lint-context.ts';
import { has, own } from './record.ts';
import { show } from './text.ts';

interface RequiredClaim {
  readonly claim: string;
  readonly id: string;
  readonly severity: Severity;
  /** Completes "No <claim> claim: …". */
  readonly why: string;
}

/** Claims an access token must carry (RFC 9068 §2.2), and what goes wrong without each. */
const requiredClaims: readonly RequiredClaim[] = [
  {
    claim: 'iss',
    id: 'iss-missing',
    severity: 'critical',
    why: 'nothing says who issued the token, so a verifier cannot tell it from one minted by any other issuer it trusts',
  },
  {
    claim: 'aud',
    id: 'aud-missing',
    severity: 'critical',
    why: 'nothing says which API the token is for, so a token given to one service is accepted by every service that trusts the issuer',
  },
  {
    claim: 'exp',
    id: 'exp-missing',
    severity: 'critical',
    why: 'the token never expires, so a leaked copy works forever',
  },
  {
    claim: 'iat',
    id: 'iat-missing',
    severity: 'warning',
    why: `verifiers cannot bound the token's age or tell whether it predates a "sign out everywhere"`,
  },
  {
    claim: 'jti',
    id: 'jti-missing',
    severity: 'warning',
    why: 'without a unique identifier this one token cannot be revoked or its replay detected',
  },
  {
    claim: 'sub',
    id: 'sub-missing',
    severity: 'warning',
    why: 'nothing says whom the token acts for, and Writ verifiers refuse it',
  },
];

export const requiredClaimsRule: Rule = ({ claims }) =>
  requiredClaims
    .filter(({ claim }) => !has(claims, claim))
    .map(({ claim, id, severity, why }) => finding(id, severity, `No ${claim} claim: ${why}.`));

const isNonEmptyString = (value: unknown): boolean => typeof value === 'string' && value !== '';

interface ClaimShape {
  readonly claim: string;
  readonly severity: Severity;
  readonly expected: string;
  readonly valid: (value: unknown) => boolean;
}

/**
 * Types RFC 7519 and RFC 9068 give the identity claims (dates are `dateRule`'s). A wrongly typed
 * `iss` or `aud` is critical: verifiers compare it as something else, or not at all.
 */
const claimShapes: readonly ClaimShape[] = [
  { claim: 'iss', severity: 'critical', expected: 'a non-empty string', valid: isNonEmptyString },
  {
    claim: 'aud',
    severity: 'critical',
    expected: 'a non-empty string or a non-empty list of them',
    valid: (value) =>
      isNonEmptyString(value) ||
      (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString)),
  },
  // A numeric sub is also sequential: subRule reports that, this rule the type.
  { claim: 'sub', severity: 'warning', expected: 'a non-empty string', valid: isNonEmptyString },
  { claim: 'jti', severity: 'warning', expected: 'a non-empty string', valid: isNonEmptyString },
  {
    claim: 'scope',
    severity: 'warning',
    expected: 'a space-separated string',
    valid: (value) => typeof value === 'string',
  },
];

export const claimTypeRule: Rule = ({ claims }) =>
  claimShapes
    .filter(({ claim, valid }) => has(claims, claim) && !valid(own(claims, claim)))
    .map(({ claim, severity, expected }) =>
      finding(
        'claim-type',
        severity,
        `${claim} is ${show(own(claims, claim))} where the JWT standards require ${expected}, so verifiers either refuse the token or compare the claim as something it is not.`,
      ),
    );

/** Database row ids: digits only, as a string or a bare number. */
function looksSequential(sub: unknown): boolean {
  if (typeof sub === 'number') return Number.isInteger(sub);
  return typeof sub === 'string' && /^\d{1,20}$/.test(sub);
}

export const subRule: Rule = ({ claims }): readonly Finding[] => {
  const sub = own(claims, 'sub');
  if (!looksSequential(sub)) return [];
  return [
    finding(
      'sub-sequential',
      'warning',
      `sub ${show(sub)} looks like a sequential database id: it reveals how many users exist and lets anyone guess other users' identifiers, so use a random opaque id.`,
    ),
  ];
};

export const claimRules: readonly Rule[] = [requiredClaimsRule, claimTypeRule, subRule];
