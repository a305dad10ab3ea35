const units: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600],
  ['d', 24 * 3600],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
];

/** A duration as its two largest units, e.g. `9m 58s`, `3h`, `2d 4h`; under a second is `0s`. */
export function formatDuration(seconds: number): string {
  let rest = Math.floor(Math.abs(seconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (parts.length > 0 || amount > 0) parts.push(`${amount}${unit}`);
    if (parts.length === 2) break;
  }
  const shown = parts.filter((part, index) => index === 0 || !part.startsWith('0'));
  return shown.length === 0 ? '0s' : shown.join(' ');
}

/** `in 9m 58s`, `3h ago` or `now`, for a date relative to `nowSec`. */
export function formatRelative(dateSec: number, nowSec: number): string {
  const delta = dateSec - nowSec;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** Largest time a JavaScript Date holds; NumericDates beyond it have no calendar date. */
const maxDateMs = 8.64e15;

/** A NumericDate in UTC ISO 8601, without milliseconds when it has none. */
export function formatIso(dateSec: number): string {
  const ms = dateSec * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > maxDateMs) return 'beyond any calendar date';
  const iso = new Date(ms).toISOString();
  return Number.isInteger(dateSec) ? iso.replace('.000Z', 'Z') : iso;
}
