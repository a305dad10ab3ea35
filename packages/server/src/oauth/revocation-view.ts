import type { AccessTokenClaims, JoseHeader } from '@writ/core';
import { RevocationMirror } from '@writ/verify/internal';
import type { Clock } from '../platform/clock.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';

export interface RevocationView {
  /**
   * Whether the revocation log revokes this token (its jti, its sid, its kid, or its subject
   * before a time), counting every entry committed before this call.
   */
  isRevoked(claims: AccessTokenClaims, header: JoseHeader): Promise<boolean>;
}

const pageLimit = 1000;

/**
 * The revocation log as introspection sees it: the consumers' own mirror (@writ/verify's
 * RevocationMirror, so an introspected token is judged exactly as a mirrored verifier judges it),
 * fed from the log before each answer. The read asks only for entries after the mirror's cursor,
 * one indexed range query that is empty almost every time; concurrent checks share one read, and
 * a check that arrives while a read is under way waits for a read that starts after it, so an
 * entry committed before the check is always counted.
 */
export function createRevocationView(context: {
  readonly db: RevocationLogStores;
  readonly clock: Clock;
}): RevocationView {
  const mirror = new RevocationMirror();
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  const readToEnd = async (): Promise<void> => {
    const nowSec = Math.floor(context.clock.nowMs() / 1000);
    for (;;) {
      const page = await context.db.revocations.listAfter(mirror.cursor, pageLimit, nowSec);
      for (const entry of page) mirror.apply(entry);
      if (page.length < pageLimit) break;
    }
    mirror.prune(nowSec);
  };
  const start = (): Promise<void> => {
    const read = readToEnd().finally(() => {
      if (running === read) running = undefined;
    });
    running = read;
    return read;
  };
  const catchUp = (): Promise<void> => {
    if (queued !== undefined) return queued;
    if (running === undefined) return start();
    const next = running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    queued = next;
    return next;
  };

  return {
    async isRevoked(claims, header) {
      await catchUp();
      return mirror.isRevoked(claims, header);
    },
  };
}
