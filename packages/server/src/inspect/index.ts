export { type InspectArgs, parseInspectArgs, usage } from './args.ts';
export { type Decoded, type DecodedJws, decodeToken, type Undecodable } from './decode.ts';
export type { Finding, Severity } from './findings.ts';
export { type Inspection, type InspectOptions, inspectToken } from './inspect-token.ts';
export { type LintContext, lint, type Rule, rules } from './lint.ts';
export { renderJson, renderText } from './report.ts';
export { exitFindings, exitOk, exitUsage, type InspectIo, runInspect } from './run-inspect.ts';
export { type Verification, type VerificationSettings, verifyToken } from './verify-token.ts';
