import { maximumPasswordLength, minimumPasswordLength } from '../platform/crypto/password.ts';

/**
 * Whether a new password may be set: 12–1024 code points, and not made only of whitespace or
 * invisible characters (twelve spaces count twelve, but a guesser tries them early and a person
 * cannot tell them from an empty field).
 */
export function acceptablePassword(password: string): boolean {
  const length = [...password].length;
  if (length < minimumPasswordLength || length > maximumPasswordLength) return false;
  return !/^[\s\p{C}]*$/u.test(password);
}
