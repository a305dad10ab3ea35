import type { KeyCustodyKind, ServiceConfig, SigningAlgorithm } from './config.ts';
import { SigningAlgorithms } from './config.ts';

/** The key lifecycle's settings, parsed from what `loadConfig` read. */
export type KeySettings = Pick<
  ServiceConfig,
  'signingAlgorithms' | 'audienceAlgorithms' | 'keyRotationPeriodSec' | 'keyCustody'
>;

export interface RawKeySettings {
  readonly signingAlgorithms: unknown;
  readonly audienceAlgorithms: unknown;
  readonly keyRotationDays: unknown;
  readonly keyRotationSec: unknown;
  readonly keyCustody: unknown;
}

const knownAlgorithms: ReadonlySet<string> = new Set(SigningAlgorithms);
/** Longer than a year and a leaked key signs for too long before anyone notices. */
const maxRotationDays = 365;
/**
 * Seconds-level periods exist for tests of rotation; below 2 s the scheduled step (every tenth
 * of a period, at least once a second) could not keep up.
 */
const minRotationSec = 2;
const custodyKinds: readonly KeyCustodyKind[] = ['sealed', 'signer-process'];

function listOf(raw: unknown): string[] | undefined {
  if (typeof raw === 'string') return raw.split(',').map((entry) => entry.trim());
  if (Array.isArray(raw) && raw.every((entry) => typeof entry === 'string'))
    return raw.map((entry: string) => entry.trim());
  return undefined;
}

function signingAlgorithms(raw: unknown, problems: string[]): readonly SigningAlgorithm[] {
  if (raw === undefined || raw === '') return ['EdDSA'];
  const entries = listOf(raw);
  const allowed = SigningAlgorithms.join(', ');
  if (entries === undefined || entries.length === 0 || entries.some((alg) => alg === '')) {
    problems.push(`WRIT_SIGNING_ALGORITHMS must be a comma-separated list of ${allowed}`);
    return ['EdDSA'];
  }
  const unknown = entries.filter((alg) => !knownAlgorithms.has(alg));
  if (unknown.length > 0) {
    problems.push(
      `WRIT_SIGNING_ALGORITHMS: ${unknown.map((alg) => JSON.stringify(alg)).join(', ')} not one of ${allowed}`,
    );
    return ['EdDSA'];
  }
  if (new Set(entries).size !== entries.length) {
    problems.push('WRIT_SIGNING_ALGORITHMS names an algorithm twice');
  }
  return [...new Set(entries)] as SigningAlgorithm[];
}

function audienceAlgorithms(
  raw: unknown,
  algorithms: readonly SigningAlgorithm[],
  problems: string[],
): ReadonlyMap<string, SigningAlgorithm> {
  const choices = new Map<string, SigningAlgorithm>();
  if (raw === undefined || raw === '') return choices;
  const entries = listOf(raw);
  if (entries === undefined) {
    problems.push('WRIT_AUDIENCE_ALGORITHMS must be aud=alg pairs, comma-separated');
    return choices;
  }
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    const audience = entry.slice(0, at).trim();
    const alg = entry.slice(at + 1).trim();
    if (at <= 0 || audience === '' || alg === '') {
      problems.push(`WRIT_AUDIENCE_ALGORITHMS: ${JSON.stringify(entry)} is not aud=alg`);
    } else if (!(algorithms as readonly string[]).includes(alg)) {
      problems.push(
        `WRIT_AUDIENCE_ALGORITHMS: ${JSON.stringify(alg)} for ${JSON.stringify(audience)} is not in WRIT_SIGNING_ALGORITHMS (${algorithms.join(', ')})`,
      );
    } else if (choices.has(audience)) {
      problems.push(`WRIT_AUDIENCE_ALGORITHMS names ${JSON.stringify(audience)} twice`);
    } else {
      choices.set(audience, alg as SigningAlgorithm);
    }
  }
  return choices;
}

function wholeNumber(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : Number(raw);
  return Number.isInteger(value) ? value : Number.NaN;
}

function rotationPeriodSec(
  rawDays: unknown,
  rawSec: unknown,
  mode: ServiceConfig['mode'],
  problems: string[],
): number {
  const fallback = 30 * 86400;
  const days = wholeNumber(rawDays);
  const sec = wholeNumber(rawSec);
  if (days !== undefined && sec !== undefined) {
    problems.push('set WRIT_KEY_ROTATION_DAYS or WRIT_KEY_ROTATION_SEC, not both');
    return fallback;
  }
  if (sec !== undefined) {
    if (mode !== 'development') {
      problems.push(
        'WRIT_KEY_ROTATION_SEC is for tests, in development only: use WRIT_KEY_ROTATION_DAYS',
      );
      return fallback;
    }
    if (Number.isNaN(sec) || sec < minRotationSec || sec > maxRotationDays * 86400) {
      problems.push(
        `WRIT_KEY_ROTATION_SEC must be a whole number from ${minRotationSec} to ${maxRotationDays * 86400} (got ${JSON.stringify(rawSec)})`,
      );
      return fallback;
    }
    return sec;
  }
  if (days === undefined) return fallback;
  if (Number.isNaN(days) || days < 1 || days > maxRotationDays) {
    problems.push(
      `WRIT_KEY_ROTATION_DAYS must be a whole number from 1 to ${maxRotationDays} (got ${JSON.stringify(rawDays)})`,
    );
    return fallback;
  }
  return days * 86400;
}

/**
 * Which algorithms sign (the first signs every audience not named in WRIT_AUDIENCE_ALGORITHMS),
 * how often keys rotate, and where private keys live. ML-DSA is accepted with a warning: few
 * verifiers know it yet.
 */
export function keySettings(
  raw: RawKeySettings,
  mode: ServiceConfig['mode'],
  problems: string[],
  warn: (message: string) => void,
): KeySettings {
  const algorithms = signingAlgorithms(raw.signingAlgorithms, problems);
  const experimental = algorithms.filter((alg) => alg.startsWith('ML-DSA'));
  if (experimental.length > 0) {
    warn(
      `WRIT_SIGNING_ALGORITHMS: ${experimental.join(', ')} is experimental (post-quantum; few verifiers accept it yet)`,
    );
  }
  const custody = raw.keyCustody ?? 'sealed';
  if (!custodyKinds.includes(custody as KeyCustodyKind)) {
    problems.push(
      `WRIT_KEY_CUSTODY must be ${custodyKinds.join(' or ')} (got ${JSON.stringify(custody)})`,
    );
  }
  return {
    signingAlgorithms: algorithms,
    audienceAlgorithms: audienceAlgorithms(raw.audienceAlgorithms, algorithms, problems),
    keyRotationPeriodSec: rotationPeriodSec(
      raw.keyRotationDays,
      raw.keyRotationSec,
      mode,
      problems,
    ),
    keyCustody: custody === 'signer-process' ? 'signer-process' : 'sealed',
  };
}
