import type { RevocationEntry } from '@writ/core';

/**
 * Fans committed revocation entries out to everything that streams them (SSE connections,
 * webhooks). In one process it is an in-memory broadcast; at scale a Redis pub/sub notifier
 * implements the same interface so every instance hears every entry.
 */
export interface RevocationNotifier {
  /** Called only after the entries' transaction committed. */
  publish(entries: readonly RevocationEntry[]): void;
  /** Returns a function that stops the subscription. */
  subscribe(listener: (entries: readonly RevocationEntry[]) => void): () => void;
}

export function createLocalNotifier(): RevocationNotifier {
  const listeners = new Set<(entries: readonly RevocationEntry[]) => void>();
  return {
    publish(entries) {
      if (entries.length === 0) return;
      for (const listener of listeners) listener(entries);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
