import type { DecodedJws } from './decode.ts';
import { bySeverity, type Finding } from './findings.ts';
import type { LintContext, Rule } from './lint-context.ts';
import { claimRules } from './rules-claims.ts';
import { headerRules } from './rules-header.ts';
import { personalDataRule } from './rules-personal-data.ts';
import { sizeRule } from './rules-size.ts';
import { timeRules } from './rules-time.ts';

export type { LintContext, Rule } from './lint-context.ts';

/**
 * Every best-practice rule, in report order within a severity. A rule is a plain function of the
 * decoded token: adding one is adding it here (and a row to the test table and docs/inspect.md).
 */
export const rules: readonly Rule[] = [
  ...headerRules,
  ...claimRules,
  ...timeRules,
  personalDataRule,
  sizeRule,
];

/** Runs every rule over a context; the findings come back critical first. */
export function lintContext(context: LintContext): readonly Finding[] {
  return bySeverity(rules.flatMap((rule) => rule(context)));
}

/** Lints a decoded token at `nowSec`, including what decoding itself noticed. */
export function lint(decoded: DecodedJws, nowSec: number): readonly Finding[] {
  const context: LintContext = {
    header: decoded.header,
    claims: decoded.claims,
    sizeBytes: decoded.sizeBytes,
    signatureBytes: decoded.signatureBytes,
    nowSec,
  };
  return bySeverity([...decoded.findings, ...lintContext(context)]);
}
