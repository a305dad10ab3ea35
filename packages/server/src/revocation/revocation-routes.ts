import type { RevocationEntry } from '@writ/core';
import type { FastifyInstance } from 'fastify';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { authenticateApiKey } from '../api-keys/authenticate-api-key.ts';
import { findLiveApiKey } from '../api-keys/find-live-api-key.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { sendError } from '../platform/http/errors.ts';
import { createRevocationFeed } from './revocation-feed.ts';
import type { RevocationLogStores } from './revocation-log-store.ts';
import type { RevocationNotifier } from './revocation-notifier.ts';
import { revocationRetentionSec } from './revocation-policy.ts';

export interface RevocationRoutesContext {
  readonly config: ServiceConfig;
  readonly db: RevocationLogStores & ApiKeysStores;
  readonly clock: Clock;
  readonly notifier: RevocationNotifier;
}

const pageLimitDefault = 1000;
const pageLimitMax = 5000;
/**
 * How often the log is polled for entries other writers committed. A quarter second keeps a
 * revocation made through another instance well inside the one-second goal, at the cost of one
 * `max(cursor)` query per interval (microseconds on SQLite), only while streams are open.
 */
const logPollMs = 250;

function parseCursor(value: unknown): number | undefined {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

const nowSec = (context: RevocationRoutesContext) => Math.floor(context.clock.nowMs() / 1000);

function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The revocation log for consumers' mirrors: a paged snapshot and an SSE stream that sends the
 * backlog after a cursor, then live entries, with heartbeats. See docs/revocation.md.
 */
export async function revocationRoutes(
  app: FastifyInstance,
  context: RevocationRoutesContext,
): Promise<void> {
  const openStreams = new Set<() => void>();
  /** Open streams per consumer key (by key hash), to hold each key to its share. */
  const streamsPerKey = new Map<string, number>();
  const feed = createRevocationFeed({
    log: {
      readAfter: (after, limit) => context.db.revocations.listAfter(after, limit, nowSec(context)),
      readHead: () => context.db.revocations.head(),
    },
    pollMs: logPollMs,
    onError: (error) => app.log.warn({ err: error }, 'revocation log poll failed'),
  });
  // A local commit wakes the feed at once; the poll catches what other writers commit.
  const stopNotifications = context.notifier.subscribe(() => {
    feed.catchUp().catch((error) => app.log.warn({ err: error }, 'revocation log read failed'));
  });
  app.addHook('preClose', async () => {
    stopNotifications();
    for (const end of openStreams) end();
    feed.close();
  });
  /** What every snapshot page and heartbeat states about the log (see docs/revocation.md). */
  const logTerms = {
    retentionSec: revocationRetentionSec,
    heartbeatSec: context.config.revocationHeartbeatSec,
  };

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/revocations',
    async (request, reply) => {
      if ((await authenticateApiKey(context.db, 'consumer', request, reply)) === undefined)
        return reply;
      const after = parseCursor(request.query.after);
      const limit =
        request.query.limit === undefined ? pageLimitDefault : Number(request.query.limit);
      if (after === undefined || !Number.isInteger(limit) || limit < 1 || limit > pageLimitMax) {
        return sendError(reply, 400, 'invalid_request');
      }
      const entries = await context.db.revocations.listAfter(after, limit + 1, nowSec(context));
      const page = entries.slice(0, limit);
      const head = await context.db.revocations.head();
      const cursor = page.at(-1)?.cursor ?? Math.max(after, entries.length === 0 ? head : after);
      return reply.header('cache-control', 'no-store').send({
        entries: page,
        cursor,
        more: entries.length > limit,
        serverTime: nowSec(context),
        ...logTerms,
      });
    },
  );

  app.get<{ Querystring: { after?: string } }>('/revocations/stream', async (request, reply) => {
    const consumer = await authenticateApiKey(context.db, 'consumer', request, reply);
    if (consumer === undefined) return reply;
    const lastEventId = request.headers['last-event-id'];
    const after = parseCursor(typeof lastEventId === 'string' ? lastEventId : request.query.after);
    if (after === undefined) return sendError(reply, 400, 'invalid_request');
    // Counted and claimed in one synchronous step, so concurrent opens cannot all pass the check.
    const retryAfter = { 'retry-after': String(2 * context.config.revocationHeartbeatSec) };
    const heldByKey = streamsPerKey.get(consumer.keyHash) ?? 0;
    if (heldByKey >= context.config.revocationStreamsPerConsumer) {
      return sendError(reply, 429, 'slow_down', retryAfter);
    }
    if (openStreams.size >= context.config.revocationStreamsTotal) {
      return sendError(reply, 503, 'temporarily_unavailable', retryAfter);
    }
    streamsPerKey.set(consumer.keyHash, heldByKey + 1);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let lastSent = after;
    let live = false;
    const buffered: RevocationEntry[] = [];
    const send = (entries: readonly RevocationEntry[]) => {
      for (const entry of entries) {
        // Strict cursor order: anything at or below what was sent is already with the consumer.
        if (entry.cursor <= lastSent) continue;
        raw.write(sseEvent('revocation', entry, entry.cursor));
        lastSent = entry.cursor;
      }
    };
    // Subscribe, then let the feed fix where it starts, before reading the backlog: the backlog
    // then reaches at least that far, so nothing committed in between is missed.
    const unsubscribe = feed.subscribe((entries) =>
      live ? send(entries) : buffered.push(...entries),
    );
    // Each heartbeat also re-checks the consumer key, so revoking it ends its open streams
    // within one heartbeat, not at the next reconnect. The head comes from the log itself, after
    // the feed has delivered every entry up to it: a consumer behind it knows it is missing some.
    const heartbeat = () => {
      Promise.all([findLiveApiKey(context.db, 'consumer', consumer.keyHash), feed.catchUp()]).then(
        ([stillValid, head]) => {
          if (ended) return;
          if (stillValid === undefined) end();
          else raw.write(sseEvent('heartbeat', { head, serverTime: nowSec(context), ...logTerms }));
        },
        () => end(),
      );
    };
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(timer);
      openStreams.delete(end);
      const held = (streamsPerKey.get(consumer.keyHash) ?? 1) - 1;
      if (held > 0) streamsPerKey.set(consumer.keyHash, held);
      else streamsPerKey.delete(consumer.keyHash);
      raw.end();
    };
    openStreams.add(end);
    raw.on('close', end);

    try {
      await feed.catchUp();
    } catch {
      end();
      return;
    }
    while (!ended) {
      const page = await context.db.revocations.listAfter(
        lastSent,
        pageLimitDefault,
        nowSec(context),
      );
      send(page);
      if (page.length < pageLimitDefault) break;
    }
    // A consumer that went away while the backlog was read must not leave a heartbeat behind.
    if (ended) return;
    send(buffered.sort((a, b) => a.cursor - b.cursor));
    live = true;
    heartbeat();
    timer = setInterval(heartbeat, context.config.revocationHeartbeatSec * 1000);
  });
}
