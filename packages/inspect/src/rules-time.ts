import { Policy } from '@writ/core';
import { finding } from './findings.ts';
import type { Rule } from './lint-context.ts';
import { has, isNumericDate, own } from './record.ts';
import { show } from './text.ts';
import { formatDuration, formatRelative } from './time.ts';

/** Claims that hold a NumericDate (RFC 7519 §2; `auth_time` from OpenID Connect). */
export const dateClaims = ['exp', 'nbf', 'iat', 'auth_time'] as const;

/** An access token living longer than this is a long-lived credential, not an access token. */
const excessiveLifetimeSec = 24 * 3600;

export const dateRule: Rule = ({ claims }) =>
  dateClaims
    .filter((claim) => has(claims, claim) && !isNumericDate(own(claims, claim)))
    .map((claim) =>
      finding(
        'date-invalid',
        'critical',
        `${claim} is ${show(own(claims, claim))}, not a finite NumericDate (seconds since 1970): verifiers disagree on how to read it, and some treat it as no limit at all.`,
      ),
    );

/** Lifetime from `iat` (or `nbf`) to `exp`; without either, what is left of it from now on. */
export const lifetimeRule: Rule = ({ claims, nowSec }) => {
  const exp = own(claims, 'exp');
  if (!isNumericDate(exp)) return [];
  const iat = own(claims, 'iat');
  const nbf = own(claims, 'nbf');
  const start = isNumericDate(iat) ? iat : isNumericDate(nbf) ? nbf : undefined;
  const lifetime = exp - (start ?? nowSec);
  const measured = start === undefined ? 'is still valid for' : 'lives';
  const from = start === undefined ? '' : ` (exp - ${isNumericDate(iat) ? 'iat' : 'nbf'})`;
  const text = `The token ${measured} ${formatDuration(lifetime)}${from}`;
  if (lifetime > excessiveLifetimeSec) {
    return [
      finding(
        'lifetime-excessive',
        'critical',
        `${text}: a stolen copy stays usable that long, which makes it a long-lived credential rather than an access token (Writ signs at most ${Policy.accessTokenMaxLifetimeSec / 60} minutes).`,
      ),
    ];
  }
  if (lifetime > Policy.accessTokenMaxLifetimeSec) {
    return [
      finding(
        'lifetime-long',
        'warning',
        `${text}: a stolen copy stays usable that long, while ${Policy.accessTokenMaxLifetimeSec / 60} minutes or less keeps theft short-lived and revocation cheap.`,
      ),
    ];
  }
  return [];
};

export const expiredRule: Rule = ({ claims, nowSec }) => {
  const exp = own(claims, 'exp');
  if (!isNumericDate(exp) || exp > nowSec) return [];
  return [
    finding(
      'expired',
      'info',
      `The token expired ${formatRelative(exp, nowSec)}, so every verifier refuses it now (expected for an old token).`,
    ),
  ];
};

export const iatRule: Rule = ({ claims, nowSec }) => {
  const iat = own(claims, 'iat');
  if (!isNumericDate(iat) || iat <= nowSec + Policy.clockToleranceDefaultSec) return [];
  return [
    finding(
      'iat-future',
      'warning',
      `iat is ${formatRelative(iat, nowSec)}, in the future: the issuer's clock is wrong or the token was made up, and Writ verifiers refuse it.`,
    ),
  ];
};

export const nbfRule: Rule = ({ claims, nowSec }) => {
  const nbf = own(claims, 'nbf');
  const exp = own(claims, 'exp');
  if (!isNumericDate(nbf)) return [];
  if (isNumericDate(exp) && nbf >= exp) {
    return [
      finding(
        'nbf-after-exp',
        'critical',
        'nbf is not before exp, so the token is never valid: the issuer is broken or the token was tampered with.',
      ),
    ];
  }
  if (nbf <= nowSec + Policy.clockToleranceDefaultSec) return [];
  return [
    finding(
      'not-yet-valid',
      'info',
      `nbf is ${formatRelative(nbf, nowSec)}: verifiers refuse the token until then.`,
    ),
  ];
};

export const timeRules: readonly Rule[] = [dateRule, lifetimeRule, expiredRule, iatRule, nbfRule];
