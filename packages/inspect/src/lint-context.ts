import type { Finding } from './findings.ts';
import type { JsonObject } from './record.ts';

/** What every lint rule sees: the decoded, untrusted token and the current time. */
export interface LintContext {
  readonly header: JsonObject;
  readonly claims: JsonObject;
  readonly sizeBytes: number;
  readonly signatureBytes: number;
  /** Seconds since the epoch; passed in so rules are pure and testable at any instant. */
  readonly nowSec: number;
}

/** One best-practice check: returns the findings it has about the token, usually none or one. */
export type Rule = (context: LintContext) => readonly Finding[];
