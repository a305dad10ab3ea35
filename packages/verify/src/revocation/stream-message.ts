import { parseRevocationEntry, type RevocationEntry } from '@writ/core';
import type { SseEvent } from './sse-parser.ts';
import { RevocationSyncError } from './sync-error.ts';

/** What a revocation stream event means to the mirror. */
export type StreamMessage =
  | { readonly kind: 'revocation'; readonly entry: RevocationEntry }
  /** `cursor` is the log's head when the heartbeat was sent. */
  | { readonly kind: 'heartbeat'; readonly cursor: number }
  /** An event type this version does not know: a later protocol may add some. */
  | { readonly kind: 'other' };

function parseJson(data: string, what: string): unknown {
  try {
    return JSON.parse(data);
  } catch (cause) {
    throw new RevocationSyncError(`${what} event data is not JSON`, { cause });
  }
}

/**
 * Interprets one stream event. A malformed revocation or heartbeat throws: it is never skipped,
 * since skipping an entry and moving past its cursor would lose that revocation.
 */
export function parseStreamMessage(event: SseEvent): StreamMessage {
  switch (event.event) {
    case 'revocation': {
      const entry = parseRevocationEntry(parseJson(event.data, 'revocation'));
      if (entry === undefined) throw new RevocationSyncError('stream sent a malformed entry');
      return { kind: 'revocation', entry };
    }
    case 'heartbeat': {
      const body = parseJson(event.data, 'heartbeat');
      const cursor =
        typeof body === 'object' && body !== null ? (body as Record<string, unknown>).cursor : null;
      if (!Number.isSafeInteger(cursor) || (cursor as number) < 0) {
        throw new RevocationSyncError('stream sent a malformed heartbeat');
      }
      return { kind: 'heartbeat', cursor: cursor as number };
    }
    default:
      return { kind: 'other' };
  }
}
