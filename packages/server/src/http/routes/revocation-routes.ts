import type { RevocationEntry } from '@writ/core';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service-context.ts';
import { authenticateApiKey } from '../api-key-auth.ts';
import { sendError } from '../errors.ts';

const pageLimitDefault = 1000;
const pageLimitMax = 5000;

function parseCursor(value: unknown): number | undefined {
  if (value === undefined || value === '') return 0;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

const nowSec = (context: ServiceContext) => Math.floor(context.now() / 1000);

function sseEvent(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The revocation log for consumers' mirrors: a paged snapshot and an SSE stream that sends the
 * backlog after a cursor, then live entries, with heartbeats. See docs/revocation.md.
 */
export async function revocationRoutes(
  app: FastifyInstance,
  context: ServiceContext,
): Promise<void> {
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of openStreams) end();
  });

  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/revocations',
    async (request, reply) => {
      if ((await authenticateApiKey(context.storage, 'consumer', request, reply)) === undefined)
        return reply;
      const after = parseCursor(request.query.after);
      const limit =
        request.query.limit === undefined ? pageLimitDefault : Number(request.query.limit);
      if (after === undefined || !Number.isInteger(limit) || limit < 1 || limit > pageLimitMax) {
        return sendError(reply, 400, 'invalid_request');
      }
      const entries = await context.storage.listRevocationsAfter(after, limit + 1, nowSec(context));
      const page = entries.slice(0, limit);
      const head = await context.storage.revocationHead();
      const cursor = page.at(-1)?.cursor ?? Math.max(after, entries.length === 0 ? head : after);
      return reply.header('cache-control', 'no-store').send({
        entries: page,
        cursor,
        more: entries.length > limit,
        serverTime: nowSec(context),
      });
    },
  );

  app.get<{ Querystring: { after?: string } }>('/revocations/stream', async (request, reply) => {
    const consumer = await authenticateApiKey(context.storage, 'consumer', request, reply);
    if (consumer === undefined) return reply;
    const lastEventId = request.headers['last-event-id'];
    const after = parseCursor(typeof lastEventId === 'string' ? lastEventId : request.query.after);
    if (after === undefined) return sendError(reply, 400, 'invalid_request');

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
    // Subscribe before reading the backlog, so nothing committed in between is missed.
    const unsubscribe = context.notifier.subscribe((entries) =>
      live ? send(entries) : buffered.push(...entries),
    );
    // Each heartbeat also re-checks the consumer key, so revoking it ends its open streams
    // within one heartbeat, not at the next reconnect.
    const heartbeat = () => {
      context.storage.findApiKeyByHash('consumer', consumer.keyHash).then(
        (stillValid) => {
          if (stillValid === undefined) end();
          else raw.write(sseEvent('heartbeat', { cursor: lastSent, serverTime: nowSec(context) }));
        },
        () => end(),
      );
    };
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      unsubscribe();
      clearInterval(timer);
      openStreams.delete(end);
      raw.end();
    };
    openStreams.add(end);
    raw.on('close', end);

    while (!ended) {
      const page = await context.storage.listRevocationsAfter(
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
