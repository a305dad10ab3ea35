import { ConfigurationError } from '@writ/core';

/**
 * Numeric options of the verifier, the DPoP proof policy and the phantom-token exchanger, checked
 * once at construction: a missing value takes its documented default, anything else outside its
 * bounds throws `ConfigurationError` at start-up instead of leaving a limit unbounded (`NaN` and
 * `Infinity` compare false with every bound, so they are refused explicitly).
 */
function bounded(
  value: number | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
  kind: 'integer' | 'number',
): number {
  if (value === undefined) return fallback;
  const wellFormed = kind === 'integer' ? Number.isInteger(value) : Number.isFinite(value);
  if (typeof value !== 'number' || !wellFormed || value < min || value > max) {
    throw new ConfigurationError(
      kind === 'integer'
        ? `${name} must be an integer from ${min} to ${max}`
        : `${name} must be a number from ${min} to ${max}`,
    );
  }
  return value;
}

/** A finite number from `min` to `max`, or `fallback` when not given. */
export function boundedNumber(
  value: number | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  return bounded(value, name, fallback, min, max, 'number');
}

/** An integer from `min` to `max`, or `fallback` when not given. */
export function boundedInteger(
  value: number | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  return bounded(value, name, fallback, min, max, 'integer');
}
