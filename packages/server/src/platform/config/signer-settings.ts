import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

/** How the service reaches the signer process (WRIT_KEY_CUSTODY=signer-process). */
export interface SignerProcessSettings {
  /** The signer's Unix domain socket (WRIT_SIGNER_SOCKET), an absolute path. */
  readonly socketPath: string;
  /** The secret both sides prove they hold (read from WRIT_SIGNER_SECRET_FILE). */
  readonly secret: Uint8Array;
}

const minSecretBytes = 32;
/** A secret file larger than this is some other file named by mistake. */
const maxSecretBytes = 4096;
const minDistinctSecretBytes = 16;

/**
 * Reads the shared signer secret: the file's bytes as they are (e.g. `head -c 32 /dev/urandom`
 * or `writ signer secret <path>`). Refused when others may read it (the secret is what keeps
 * every other process of the same user off the signer), when short, or when visibly not random.
 * Problems name the file, never its content.
 */
export function readSignerSecretFile(path: unknown, problems: string[]): Uint8Array | undefined {
  if (typeof path !== 'string' || path === '') {
    problems.push('WRIT_SIGNER_SECRET_FILE is required with WRIT_KEY_CUSTODY=signer-process');
    return undefined;
  }
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch {
    problems.push(`WRIT_SIGNER_SECRET_FILE ${path} cannot be read`);
    return undefined;
  }
  if (!info.isFile()) {
    problems.push(`WRIT_SIGNER_SECRET_FILE ${path} is not a file`);
    return undefined;
  }
  const mode = info.mode & 0o777;
  if ((mode & 0o077) !== 0) {
    problems.push(
      `WRIT_SIGNER_SECRET_FILE ${path} is open to other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`,
    );
    return undefined;
  }
  if (info.size > maxSecretBytes) {
    problems.push(
      `WRIT_SIGNER_SECRET_FILE ${path} is larger than a secret (${maxSecretBytes} bytes at most)`,
    );
    return undefined;
  }
  let secret: Buffer;
  try {
    secret = readFileSync(path);
  } catch {
    problems.push(`WRIT_SIGNER_SECRET_FILE ${path} cannot be read`);
    return undefined;
  }
  if (secret.length < minSecretBytes || new Set(secret).size < minDistinctSecretBytes) {
    problems.push(
      `WRIT_SIGNER_SECRET_FILE ${path} must hold at least ${minSecretBytes} random bytes (try: writ signer secret ${path})`,
    );
    return undefined;
  }
  return secret;
}

export function signerSocketPath(raw: unknown, problems: string[]): string | undefined {
  if (typeof raw !== 'string' || raw === '') {
    problems.push('WRIT_SIGNER_SOCKET is required with WRIT_KEY_CUSTODY=signer-process');
    return undefined;
  }
  if (!isAbsolute(raw)) {
    problems.push(`WRIT_SIGNER_SOCKET must be an absolute path (got ${JSON.stringify(raw)})`);
    return undefined;
  }
  // sockaddr_un holds 108 bytes on Linux (104 on macOS), the terminating NUL included.
  if (Buffer.byteLength(raw) > 103) {
    problems.push('WRIT_SIGNER_SOCKET is longer than a Unix socket path may be (103 bytes)');
    return undefined;
  }
  return raw;
}

/** The service's side: read only when the signer process keeps the keys. */
export function signerProcessSettings(
  custody: string,
  raw: { readonly socket: unknown; readonly secretFile: unknown },
  problems: string[],
): SignerProcessSettings | undefined {
  if (custody !== 'signer-process') {
    if (raw.socket !== undefined || raw.secretFile !== undefined) {
      problems.push(
        'WRIT_SIGNER_SOCKET and WRIT_SIGNER_SECRET_FILE need WRIT_KEY_CUSTODY=signer-process',
      );
    }
    return undefined;
  }
  const socketPath = signerSocketPath(raw.socket, problems);
  const secret = readSignerSecretFile(raw.secretFile, problems);
  return socketPath === undefined || secret === undefined ? undefined : { socketPath, secret };
}
