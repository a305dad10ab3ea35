/** The one spelling of an address Writ stores and looks up: NFKC, trimmed, lower-case. */
export function normaliseEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/** Deliberately loose: one @, something either side, no spaces. Deliverability is not our check. */
export function looksLikeEmail(email: string): boolean {
  return email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email);
}
