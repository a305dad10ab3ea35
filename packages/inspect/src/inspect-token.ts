import { type Decoded, decodeToken } from './decode.ts';
import type { Finding } from './findings.ts';
import { lint } from './lint.ts';
import { failed, type Verification, type VerifyTarget, verifyToken } from './verify-token.ts';

/** Everything `writ inspect` learned about one input, ready to render. */
export interface Inspection {
  readonly decoded: Decoded;
  /** Critical first. */
  readonly findings: readonly Finding[];
  /** `undefined` when neither `--jwks` nor `--issuer` asked for verification. */
  readonly verification: Verification | undefined;
  /** The instant the token was judged against, in seconds. */
  readonly nowSec: number;
  /** 0 when nothing is critical and any requested verification passed, 1 otherwise. */
  readonly exitCode: 0 | 1;
}

export interface InspectOptions extends Partial<VerifyTarget> {
  readonly nowSec?: number;
}

/** Decodes, lints and (when asked) verifies one token. Never throws for any input. */
export async function inspectToken(
  input: string,
  options: InspectOptions = {},
): Promise<Inspection> {
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const decoded = decodeToken(input);
  const findings = decoded.form === 'jws' ? lint(decoded, nowSec) : decoded.findings;
  const target: VerifyTarget = { jwks: options.jwks, issuer: options.issuer };
  let verification: Verification | undefined;
  if (target.jwks !== undefined || target.issuer !== undefined) {
    verification =
      decoded.form === 'jws'
        ? await verifyToken(decoded, target)
        : failed('not_a_jws', undefined, undefined);
  }
  const critical = findings.some((f) => f.severity === 'critical');
  const exitCode = critical || verification?.verified === false ? 1 : 0;
  return { decoded, findings, verification, nowSec, exitCode };
}
