import { readFile, stat } from 'node:fs/promises';
import type { JsonWebKeySet } from '@writ/verify';
import { errorText } from './error-text.ts';
import { isJsonObject, own } from './record.ts';

/** Larger than any real key set; a bigger file is a mistake (a log, a disk image), not keys. */
const maxFileBytes = 1024 * 1024;

export type JwksFile =
  | { readonly ok: true; readonly jwks: JsonWebKeySet }
  | { readonly ok: false; readonly detail: string };

/** Reads a JSON Web Key Set (`{"keys": [...]}`) from a file. */
export async function readJwksFile(path: string): Promise<JwksFile> {
  let text: string;
  try {
    if ((await stat(path)).size > maxFileBytes) {
      return { ok: false, detail: `${path} is larger than ${maxFileBytes} bytes` };
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, detail: `cannot read ${path}: ${errorText(error)}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, detail: `${path} is not JSON` };
  }
  if (!isJsonObject(parsed) || !Array.isArray(own(parsed, 'keys'))) {
    return { ok: false, detail: `${path} is not a JSON Web Key Set ({"keys": [...]})` };
  }
  return { ok: true, jwks: parsed as unknown as JsonWebKeySet };
}
