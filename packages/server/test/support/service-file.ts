import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Reads a test service's database file on a connection of its own, read-only and closed
 * afterwards: what has committed, as another process would see it.
 */
export function readServiceFile<T>(
  service: { readonly dataDir: string },
  read: (file: DatabaseSync) => T,
): T {
  const file = new DatabaseSync(join(service.dataDir, 'writ.db'), { readOnly: true });
  try {
    return read(file);
  } finally {
    file.close();
  }
}
