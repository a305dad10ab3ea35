import type { ClientsStores } from '../clients/clients-store.ts';
import { findBackchannelTarget } from '../clients/find-backchannel-target.ts';
import type { Signer } from '../keys/signer.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { isLoopbackHostname } from '../platform/url.ts';
import type { RevocationNotifier } from '../revocation/revocation-notifier.ts';
import type { BackchannelLogoutRecord } from './backchannel-logout-record.ts';
import type { BackchannelLogoutsStores } from './backchannel-logouts-store.ts';
import { signLogoutToken } from './logout-token.ts';
import { type DeliveryOutcome, postLogoutToken, type ResolveHost } from './post-logout-token.ts';

export interface BackchannelWorkerContext {
  readonly config: ServiceConfig;
  readonly db: UnitOfWork<BackchannelLogoutsStores & ClientsStores>;
  readonly clock: Clock;
  readonly signer: Signer;
  /** Woken by committed `sid` revocations: the outbox entries they wrote are due now. */
  readonly notifier: RevocationNotifier;
}

/** Limits of delivery; every one has a safe default (docs/oauth/logout.md). */
export interface BackchannelWorkerOptions {
  /** Deliveries in flight at once, across all relying parties. Default 8. */
  readonly maxInFlight?: number;
  /** One delivery, connect to status line. Default 5 s. */
  readonly timeoutMs?: number;
  /** Attempts before an entry gives up (is kept dead for the operator). Default 6. */
  readonly maxAttempts?: number;
  /** How often due retries are looked for. Default 1 s. */
  readonly pollIntervalMs?: number;
  /**
   * Told about failures of the worker itself (the database, signing) and about a relying party
   * whose URI resolved to an address the service does not call (never with a token).
   */
  readonly onError?: (error: unknown) => void;
  /** Resolves back-channel hosts; the system resolver unless a test injects one. */
  readonly resolveHost?: ResolveHost;
}

export interface BackchannelWorker {
  /** Looks for due entries now (after a commit that wrote some). */
  wake(): void;
  /** Stops looking and waits for the deliveries in flight (each bounded by the timeout). */
  close(): Promise<void>;
}

/** First retry after 10 s, then ×3 each time, at most 15 min apart (10 s … 13.5 min for 6). */
const firstRetryMs = 10_000;
const maxRetryMs = 15 * 60_000;
/** A claimed entry whose attempt never reports back (a crash) is due again after this. */
const leaseMs = 60_000;
/** Dead entries stay this long for the operator to see, then go. */
const deadRetentionMs = 7 * 24 * 3600_000;
const pruneEveryMs = 60_000;
const pruneBatch = 500;

/** The delay before attempt `attempts + 1`, with up to 20 % added so retries spread out. */
export function retryDelayMs(attempts: number): number {
  const base = Math.min(maxRetryMs, firstRetryMs * 3 ** Math.max(0, attempts - 1));
  return Math.round(base * (1 + Math.random() * 0.2));
}

/**
 * Only a client's registered URI is ever called, and only over https — plain http to a loopback
 * host in development mode (a relying party on the developer's machine). The clients module
 * checked it at registration; it is checked again here because the mode may have changed since.
 */
function deliverable(uri: string, mode: ServiceConfig['mode']): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  if (url.protocol === 'https:') return true;
  return mode === 'development' && url.protocol === 'http:' && isLoopbackHostname(url.hostname);
}

/**
 * Delivers the Back-Channel Logout outbox (Back-Channel Logout 1.0 §2.5): claims due entries in
 * batches bounded by the free delivery slots, signs a fresh logout token for each attempt, POSTs
 * it, and deletes the entry on 2xx; a failure is retried with exponential backoff up to
 * `maxAttempts`, then kept dead for the operator (pruned after 7 days). Woken by committed
 * session revocations, and polls for retries and for entries left by another instance or a
 * previous run of this one (the outbox survives restarts).
 */
export function startBackchannelWorker(
  context: BackchannelWorkerContext,
  options: BackchannelWorkerOptions = {},
): BackchannelWorker {
  const maxInFlight = options.maxInFlight ?? 8;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxAttempts = options.maxAttempts ?? 6;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const onError = options.onError ?? (() => {});
  const { db, clock } = context;
  const deliveries = new Set<Promise<void>>();
  let closed = false;
  let looking: Promise<void> | undefined;
  let lookAgain = false;
  let lastPruneMs = 0;

  const settle = async (entry: BackchannelLogoutRecord): Promise<void> => {
    const target = await findBackchannelTarget(context, entry.clientId);
    // A client without a back-channel URI (or disabled since) has nothing to be told.
    if (target === undefined) return db.transaction((tx) => tx.backchannelLogouts.remove(entry.id));
    const { uri } = target;
    if (!deliverable(uri, context.config.mode)) {
      return db.transaction((tx) =>
        tx.backchannelLogouts.markDead(entry.id, clock.nowMs(), 'uri_not_allowed'),
      );
    }
    let outcome: DeliveryOutcome;
    try {
      const logoutToken = await signLogoutToken(context, {
        clientId: entry.clientId,
        userId: entry.userId,
        browserSessionId: entry.browserSessionId,
        nowMs: clock.nowMs(),
      });
      outcome = await postLogoutToken(uri, logoutToken, timeoutMs, {
        // The operator's own registrations may name internal relying parties (docs/oauth/
        // logout.md); an outsider's (RFC 7591) may not, whatever its public name resolves to.
        checkAddresses: target.registeredBy === 'dynamic',
        allowLoopback: context.config.mode === 'development',
        ...(options.resolveHost === undefined ? {} : { resolve: options.resolveHost }),
      });
    } catch (error) {
      // The service's own fault (no signing key): reported, and retried within the same bound,
      // so the entry neither spins every lease nor is lost.
      onError(error);
      outcome = { ok: false, failure: 'signing_failed' };
    }
    const nowMs = clock.nowMs();
    if (outcome.ok) return db.transaction((tx) => tx.backchannelLogouts.remove(entry.id));
    if (outcome.failure === 'address_not_allowed') {
      // Not retried: a name resolving into the service's own network is a configuration (or
      // an attack) for the operator to see, listed dead with this reason; the log names the
      // client, never the token.
      onError(
        new Error(
          `back-channel logout URI of client ${entry.clientId} resolves to a non-public address; not sent`,
        ),
      );
      return db.transaction((tx) =>
        tx.backchannelLogouts.markDead(entry.id, nowMs, 'address_not_allowed'),
      );
    }
    if (entry.attempts >= maxAttempts) {
      return db.transaction((tx) =>
        tx.backchannelLogouts.markDead(entry.id, nowMs, outcome.failure),
      );
    }
    return db.transaction((tx) =>
      tx.backchannelLogouts.retryLater(
        entry.id,
        nowMs + retryDelayMs(entry.attempts),
        outcome.failure,
      ),
    );
  };

  const start = (entry: BackchannelLogoutRecord): void => {
    const delivery: Promise<void> = settle(entry)
      // The entry stays leased and comes back after the lease: nothing is lost.
      .catch(onError)
      .finally(() => {
        deliveries.delete(delivery);
        look();
      });
    deliveries.add(delivery);
  };

  const pruneIfDue = async (nowMs: number): Promise<void> => {
    if (nowMs - lastPruneMs < pruneEveryMs) return;
    lastPruneMs = nowMs;
    await deleteInBatches(
      db,
      (tx, limit) => tx.backchannelLogouts.pruneDead(nowMs - deadRetentionMs, limit),
      { rowsPerBatch: pruneBatch },
    );
  };

  const lookForDue = async (): Promise<void> => {
    do {
      lookAgain = false;
      const room = maxInFlight - deliveries.size;
      if (closed || room <= 0) return;
      const nowMs = clock.nowMs();
      await pruneIfDue(nowMs);
      // The idle poll is a read: a claim (a write, through the group commit) only when due.
      if (!(await db.backchannelLogouts.anyDue(nowMs))) continue;
      const claimed = await db.transaction((tx) =>
        tx.backchannelLogouts.claimDue({ nowMs, limit: room, leaseUntilMs: nowMs + leaseMs }),
      );
      for (const entry of claimed) start(entry);
      // A full batch: more may be due, as soon as a slot frees (each delivery looks again).
    } while (lookAgain);
  };

  /** One look at a time; a wake during a look makes it look once more. */
  function look(): void {
    if (closed) return;
    if (looking !== undefined) {
      lookAgain = true;
      return;
    }
    looking = lookForDue()
      .catch(onError)
      .finally(() => {
        looking = undefined;
      });
  }

  const unsubscribe = context.notifier.subscribe((entries) => {
    if (entries.some((entry) => entry.target.type === 'sid')) look();
  });
  const poll = setInterval(look, pollIntervalMs);
  poll.unref();
  look();

  return {
    wake: look,
    async close() {
      closed = true;
      clearInterval(poll);
      unsubscribe();
      await looking;
      await Promise.all([...deliveries]);
    },
  };
}
