import type { Decoded } from './decode.ts';
import { countBySeverity, type Finding, type Severity, severities } from './findings.ts';
import type { Inspection } from './inspect-token.ts';
import { isNumericDate, type JsonObject, own } from './record.ts';
import { dateClaims } from './rules-time.ts';
import { escapeUnsafe, nonFiniteAsText, show, showName } from './text.ts';
import { formatIso, formatRelative } from './time.ts';
import type { Verification, VerificationSettings } from './verify-token.ts';

const formNames: Readonly<Record<Decoded['form'], string>> = {
  jws: 'compact JWS',
  jwe: 'encrypted JWE',
  'jws-json': 'JWS JSON serialisation',
  malformed: 'not a JWT',
};

const marks: Readonly<Record<Severity, string>> = { critical: '✗', warning: '!', info: '·' };

/** Values longer than this on one line are spread over several. */
const lineBudget = 72;

/** A JSON value as readable text: one line when short, indented lines when not. */
function pretty(value: unknown, indent: string): string {
  const line = show(value);
  if (line.length <= lineBudget || typeof value !== 'object' || value === null) return line;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((member) => `${inner}${pretty(member, inner)}`).join(',\n')}\n${indent}]`;
  }
  const members = Object.entries(value).map(
    ([name, member]) => `${inner}${show(name)}: ${pretty(member, inner)}`,
  );
  return `{\n${members.join(',\n')}\n${indent}}`;
}

function dateNote(name: string, value: unknown, nowSec: number): string {
  if (!(dateClaims as readonly string[]).includes(name) || !isNumericDate(value)) return '';
  return `  ${formatIso(value)}, ${formatRelative(value, nowSec)}`;
}

/** `name  value` lines, names padded to one column; dates annotated. */
function members(record: JsonObject, nowSec: number): string[] {
  const names = Object.keys(record).map(showName);
  const width = Math.min(12, Math.max(0, ...names.map((name) => name.length)));
  return Object.entries(record).flatMap(([name, value]) => {
    const label = showName(name).padEnd(width);
    const text = `  ${label}  ${pretty(value, `  ${' '.repeat(width)}  `)}${dateNote(name, value, nowSec)}`;
    return text.split('\n');
  });
}

function plural(count: number, word: string): string {
  // Only "warning" takes a plural: "2 critical", "3 info" read as they are.
  return `${count} ${word}${count === 1 || word !== 'warning' ? '' : 's'}`;
}

function findingLines(findings: readonly Finding[]): string[] {
  const counts = countBySeverity(findings);
  if (findings.length === 0) return ['Findings: none'];
  const lines = [
    `Findings: ${plural(counts.critical, 'critical')}, ${plural(counts.warning, 'warning')}, ${plural(counts.info, 'info')}`,
  ];
  for (const severity of severities) {
    const group = findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push(`  ${severity}`);
    for (const f of group) lines.push(`    ${marks[severity]} ${f.id}: ${f.message}`);
  }
  return lines;
}

const keySourceNames: Readonly<Record<VerificationSettings['keysFrom'], string>> = {
  'jwks-url': '--jwks',
  'jwks-file': '--jwks file',
  'issuer-metadata': 'from the --issuer metadata',
};

function settingLines(settings: VerificationSettings): string[] {
  const issuer =
    settings.issuer === undefined
      ? '(none: the token has no usable iss)'
      : settings.issuerFrom === 'option'
        ? `${show(settings.issuer)} (--issuer)`
        : `${show(settings.issuer)} (taken from the token: pass --issuer to check it against the issuer you trust)`;
  const audience =
    settings.audience.length === 0
      ? '(none: the token has no usable aud)'
      : `${settings.audience.map((a) => show(a)).join(', ')} (taken from the token's own aud: this checks the token against itself, not that it is meant for your API)`;
  const own = (from: 'token' | 'default'): string =>
    from === 'token' ? "the token's own" : "Writ's default";
  return [
    `  keys       ${escapeUnsafe(settings.keys)} (${keySourceNames[settings.keysFrom]})`,
    `  issuer     ${issuer}`,
    `  audience   ${audience}`,
    `  algorithm  ${settings.algorithms.join(', ')} (${own(settings.algorithmsFrom)})`,
    `  typ        ${settings.tokenTypes.map((t) => show(t)).join(', ')} (${own(settings.tokenTypesFrom)})`,
  ];
}

function verificationLines(verification: Verification | undefined): string[] {
  if (verification === undefined) {
    return ['Verification: not requested (pass --jwks <url|file> or --issuer <url>)'];
  }
  if (verification.verified) {
    return ['Verification: ✓ verified', ...settingLines(verification.settings)];
  }
  const lines = [
    `Verification: ✗ not verified: ${verification.reason} (${verification.explanation})`,
  ];
  if (verification.detail !== undefined) {
    lines.push(`  detail     ${escapeUnsafe(verification.detail)}`);
  }
  if (verification.settings !== undefined) lines.push(...settingLines(verification.settings));
  return lines;
}

/** The human-readable report, as lines. */
export function renderText(inspection: Inspection): string[] {
  const { decoded, nowSec } = inspection;
  const lines = [
    `Token: ${formNames[decoded.form]}, ${decoded.sizeBytes} bytes (decoded without trusting it)`,
    '',
  ];
  if (decoded.header !== undefined) {
    lines.push('Header', ...members(decoded.header, nowSec), '');
  }
  if (decoded.form === 'jws') {
    lines.push('Claims', ...members(decoded.claims, nowSec), '');
  }
  lines.push(...findingLines(inspection.findings), '');
  lines.push(...verificationLines(inspection.verification));
  return lines;
}

function datesOf(claims: JsonObject, nowSec: number): Record<string, unknown> {
  const dates: Record<string, unknown> = {};
  for (const name of dateClaims) {
    const value = own(claims, name);
    if (isNumericDate(value)) {
      dates[name] = { iso: formatIso(value), relative: formatRelative(value, nowSec) };
    }
  }
  return dates;
}

function verificationJson(verification: Verification | undefined): unknown {
  if (verification === undefined) return null;
  if (verification.verified) return { verified: true, settings: verification.settings };
  return {
    verified: false,
    reason: verification.reason,
    explanation: verification.explanation,
    detail: verification.detail ?? null,
    settings: verification.settings ?? null,
  };
}

/**
 * The `--json` report. Infinite numbers (`1e400` in a token) appear as the strings "Infinity" /
 * "-Infinity", since JSON has no way to write them.
 */
export function renderJson(inspection: Inspection): string {
  const { decoded, nowSec } = inspection;
  const report = {
    form: decoded.form,
    sizeBytes: decoded.sizeBytes,
    header: decoded.header ?? null,
    claims: decoded.form === 'jws' ? decoded.claims : null,
    dates: decoded.form === 'jws' ? datesOf(decoded.claims, nowSec) : {},
    findings: inspection.findings,
    counts: countBySeverity(inspection.findings),
    verification: verificationJson(inspection.verification),
    evaluatedAt: formatIso(nowSec),
    exitCode: inspection.exitCode,
  };
  return escapeUnsafe(JSON.stringify(report, nonFiniteAsText, 2));
}
