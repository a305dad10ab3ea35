import type { RevocationEntry } from '@writ/core';
import type { SessionsContext, SessionsTransaction } from './sessions-context.ts';

/** Runs `work` in one transaction, then publishes its revocations: only once they committed. */
export async function revokeAndPublish<T extends { readonly entries: RevocationEntry[] }>(
  context: SessionsContext,
  work: (tx: SessionsTransaction) => Promise<T>,
): Promise<T> {
  const result = await context.db.transaction(work);
  context.notifier.publish(result.entries);
  return result;
}
