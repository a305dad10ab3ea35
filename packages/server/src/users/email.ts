/** The one spelling of an address Writ stores and looks up: NFKC, trimmed, lower-case. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/**
 * Code points of Unicode's "Other" category: controls (Cc), format characters (Cf: zero-width
 * joiners and spaces, bidi overrides and isolates, the BOM, the soft hyphen), lone surrogates,
 * private use and unassigned. None is visible, so each would let a second account look exactly
 * like the first in an admin list or a notification ("ada@example.com" and "ada\u200b@…").
 */
const invisibleCharacter = /\p{C}/u;

/**
 * Whether an address may be stored, asked of what was typed *and* of its normalised spelling:
 * trimming alone would quietly drop a leading BOM, and NFKC could produce what was not typed.
 * Deliberately loose about the shape (one @, something either side, no spaces: deliverability is
 * not our check), strict about what cannot be seen.
 */
export function acceptableEmail(typed: string, normalised: string): boolean {
  return (
    !invisibleCharacter.test(typed) &&
    !invisibleCharacter.test(normalised) &&
    normalised.length <= 254 &&
    /^[^\s@]+@[^\s@]+$/u.test(normalised)
  );
}
