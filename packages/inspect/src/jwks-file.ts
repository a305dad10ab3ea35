import { constants, type FileHandle, open } from 'node:fs/promises';
import type { JsonWebKeySet } from '@writ/verify';
import { errorText } from './error-text.ts';
import { InspectInputError } from './input-error.ts';
import { isJsonObject, own } from './record.ts';

/** Larger than any real key set; a bigger file is a mistake (a log, a disk image), not keys. */
export const maxJwksFileBytes = 1024 * 1024;

export type JwksFile =
  | { readonly ok: true; readonly jwks: JsonWebKeySet }
  | { readonly ok: false; readonly error: InspectInputError };

function refused(...args: ConstructorParameters<typeof InspectInputError>): JwksFile {
  return { ok: false, error: new InspectInputError(...args) };
}

/**
 * Reads at most `maxBytes + 1` bytes from the handle, however large the file is or grows while it
 * is read: the size `stat` reports is only a hint (0 for devices and pipes).
 */
async function readAtMost(handle: FileHandle, maxBytes: number): Promise<Buffer> {
  const buffer = Buffer.alloc(maxBytes + 1);
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Reads a JSON Web Key Set (`{"keys": [...]}`) from a regular file of at most `maxBytes`. */
export async function readJwksFile(
  path: string,
  maxBytes: number = maxJwksFileBytes,
): Promise<JwksFile> {
  let bytes: Buffer;
  let handle: FileHandle | undefined;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever. The type is checked
    // on the opened handle, so the file cannot be swapped between the check and the read.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!(await handle.stat()).isFile()) {
      return refused(
        'jwks_not_regular_file',
        `${path} is not a regular file (a device, pipe, socket or directory cannot hold a key set)`,
      );
    }
    bytes = await readAtMost(handle, maxBytes);
  } catch (error) {
    return refused('jwks_file_unreadable', `cannot read ${path}: ${errorText(error)}`);
  } finally {
    await handle?.close();
  }
  if (bytes.byteLength > maxBytes) {
    return refused('jwks_file_too_large', `${path} is larger than ${maxBytes} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return refused('jwks_file_not_json', `${path} is not JSON`);
  }
  if (!isJsonObject(parsed) || !Array.isArray(own(parsed, 'keys'))) {
    return refused('jwks_file_not_key_set', `${path} is not a JSON Web Key Set ({"keys": [...]})`);
  }
  return { ok: true, jwks: parsed as unknown as JsonWebKeySet };
}
