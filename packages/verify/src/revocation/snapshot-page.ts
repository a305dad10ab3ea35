import { parseRevocationEntry, type RevocationEntry } from '@writ/core';
import { type LogTerms, parseLogTerms } from './log-terms.ts';
import { RevocationSyncError } from './sync-error.ts';

/** One answer of `GET /revocations`. */
export interface SnapshotPage {
  readonly entries: readonly RevocationEntry[];
  /** Where the next page starts (`after`); the log's head when everything before it was pruned. */
  readonly cursor: number;
  readonly more: boolean;
  readonly terms: LogTerms;
}

/**
 * Reads a snapshot page, refusing it whole if any part is not what the protocol says: applying
 * the good entries of a bad page and moving past the rest would lose a revocation for good.
 */
export function parseSnapshotPage(body: unknown, after: number): SnapshotPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RevocationSyncError('snapshot page is not an object');
  }
  const { entries, cursor, more } = body as Record<string, unknown>;
  if (!Array.isArray(entries) || !Number.isSafeInteger(cursor) || typeof more !== 'boolean') {
    throw new RevocationSyncError('snapshot page lacks entries, cursor or more');
  }
  const parsed: RevocationEntry[] = [];
  let last = after;
  for (const value of entries as unknown[]) {
    const entry = parseRevocationEntry(value);
    if (entry === undefined) throw new RevocationSyncError('snapshot page holds a malformed entry');
    if (entry.cursor <= last) {
      throw new RevocationSyncError('snapshot page entries are not in ascending cursor order');
    }
    last = entry.cursor;
    parsed.push(entry);
  }
  // Paging continues from `cursor`, so one behind the entries would repeat them forever and one
  // that does not advance while `more` holds would never end.
  if ((cursor as number) < last || (more && (cursor as number) <= after)) {
    throw new RevocationSyncError('snapshot page cursor does not advance');
  }
  const terms = parseLogTerms(body as Record<string, unknown>, 'snapshot page');
  return { entries: parsed, cursor: cursor as number, more, terms };
}
