import { parseRevocationEntry, type RevocationEntry } from '@writ/core';
import { type LogTerms, parseLogTerms } from './log-terms.ts';
import type { SseEvent } from './sse-parser.ts';
import { RevocationSyncError } from './sync-error.ts';

/** What a revocation stream event means to the mirror. */
export type StreamMessage =
  | { readonly kind: 'revocation'; readonly entry: RevocationEntry }
  /**
   * `head` is the log's last cursor when the heartbeat was sent, read from the log itself: entries
   * other writers committed count, whether or not this stream has delivered them yet.
   */
  | { readonly kind: 'heartbeat'; readonly head: number; readonly terms: LogTerms }
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
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new RevocationSyncError('stream sent a malformed heartbeat');
      }
      const { head } = body as Record<string, unknown>;
      if (!Number.isSafeInteger(head) || (head as number) < 0) {
        throw new RevocationSyncError('stream sent a heartbeat without the log head');
      }
      const terms = parseLogTerms(body as Record<string, unknown>, 'heartbeat');
      return { kind: 'heartbeat', head: head as number, terms };
    }
    default:
      return { kind: 'other' };
  }
}
