import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's first recommended configuration (m = 19 MiB, t = 2, p = 1).
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 */
const parameters = {
  // Algorithm.Argon2id: the package exports it as a const enum, which erasable TS cannot read.
  algorithm: 2,
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
} as const;

export const minimumPasswordLength = 12;
export const maximumPasswordLength = 1024;

export function hashPassword(password: string): Promise<string> {
  return hash(password, parameters);
}

/** A real hash of a random password: verifying against it costs what a real check costs. */
let decoyHash: Promise<string> | undefined;

/** Computes the decoy at start-up, so the first unknown-account sign-in is not slower than the rest. */
export async function prepareDecoyHash(): Promise<void> {
  decoyHash ??= hashPassword(crypto.randomUUID());
  await decoyHash;
}

/**
 * Checks a password against a stored hash, or against a decoy when there is no such user, so an
 * unknown account and a wrong password take the same time and give the same answer.
 */
export async function verifyPassword(
  storedHash: string | undefined,
  password: string,
): Promise<boolean> {
  if (storedHash === undefined) {
    decoyHash ??= hashPassword(crypto.randomUUID());
    await verify(await decoyHash, password);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}
