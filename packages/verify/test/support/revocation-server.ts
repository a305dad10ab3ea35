import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RevocationEntry, RevocationTarget } from '@writ/core';
import { listenRestartably } from '../../../../test/support/loopback.ts';

/** What a log entry is made of, before the log gives it a cursor. */
export interface EntryFields {
  /** Any string: mirrors carry causes without interpreting them (a newer service may add some). */
  readonly cause?: RevocationEntry['cause'];
  readonly revokedAt?: number;
  readonly forgetAfter?: number;
}

/** One request as the server saw it. */
export interface SeenRequest {
  readonly path: string;
  readonly after: string | null;
  readonly lastEventId: string | undefined;
  readonly authorized: boolean;
}

export interface RevocationServer {
  /** The service base URL, `http://127.0.0.1:<port>`. */
  readonly uri: string;
  readonly consumerKey: string;
  /** The log's head: the last cursor handed out (kept across stop/start, like a database). */
  readonly head: number;
  /** Event streams open right now. */
  readonly openStreams: number;
  /** Every request received, in order (kept across stop/start). */
  readonly requests: readonly SeenRequest[];
  /** Commits an entry to the log and sends it to every open stream. */
  append(target: RevocationTarget, fields?: EntryFields): RevocationEntry;
  /**
   * Commits an entry the streams never send, as another writer sharing the log does (a second
   * instance, an admin tool): only the heartbeats' head and the snapshot show it.
   */
  appendElsewhere(target: RevocationTarget, fields?: EntryFields): RevocationEntry;
  /** Answers every snapshot request with 503 until `restoreSnapshots`. */
  failSnapshots(): void;
  restoreSnapshots(): void;
  /** Commits `count` entries at once (not streamed one by one: for big snapshots). */
  appendMany(count: number, targetOf: (index: number) => RevocationTarget): void;
  /** Commits something that is not a valid entry under the next cursor, sent like any entry. */
  appendMalformed(body: Record<string, unknown>): number;
  /** Drops entries whose `forgetAfter` is before `nowSec`, as the service's pruner does. */
  prune(nowSec: number): void;
  /** Destroys the socket of every open stream, as a crashed proxy would. */
  killStreams(): void;
  /** Stops sending heartbeats on every stream (they stay open, silent), including new ones. */
  pauseHeartbeats(): void;
  /** Sends one heartbeat to every stream now and resumes the schedule. */
  resumeHeartbeats(): void;
  /** Stops listening and drops every connection; `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface RevocationServerOptions {
  readonly consumerKey?: string;
  /** Heartbeat period of every stream. The real service defaults to 5 s. */
  readonly heartbeatMs?: number;
  /** The `retentionSec` stated in snapshots and heartbeats. Default 930, as the service's. */
  readonly retentionSec?: number;
}

/** What a logged item needs for the server to page, stream and prune it. */
interface LogItem {
  readonly cursor: number;
  readonly forgetAfter: number;
  readonly json: string;
}

interface OpenStream {
  readonly response: ServerResponse;
  readonly timer: NodeJS.Timeout;
}

const nowSec = (): number => Math.floor(Date.now() / 1000);
/** Longest access-token lifetime plus the largest clock tolerance, as the service computes it. */
const forgetMarginSec = 15 * 60 + 30;
const defaultLimit = 1000;
const maxLimit = 5000;

function numberParam(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback;
  return /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/**
 * A token service's revocation endpoints as docs/revocation.md specifies them, on 127.0.0.1, with
 * a log the test appends to and faults the test can cause.
 */
export async function startRevocationServer(
  options: RevocationServerOptions = {},
): Promise<RevocationServer> {
  const consumerKey = options.consumerKey ?? 'wck_test_consumer_key';
  const heartbeatMs = options.heartbeatMs ?? 200;
  const log: LogItem[] = [];
  const requests: SeenRequest[] = [];
  const streams = new Set<OpenStream>();
  let head = 0;
  let heartbeatsPaused = false;
  let snapshotsFailing = false;
  const retentionSec = options.retentionSec ?? forgetMarginSec;
  const heartbeatSec = heartbeatMs / 1000;

  const retained = (after: number): LogItem[] =>
    log.filter((item) => item.cursor > after && item.forgetAfter >= nowSec());

  const entryEvent = (item: LogItem): string =>
    `id: ${item.cursor}\nevent: revocation\ndata: ${item.json}\n\n`;
  const heartbeatEvent = (): string =>
    `event: heartbeat\ndata: ${JSON.stringify({ head, serverTime: nowSec(), retentionSec, heartbeatSec })}\n\n`;

  const broadcast = (text: string): void => {
    for (const stream of streams) stream.response.write(text);
  };

  const commit = (body: Record<string, unknown>, forgetAfter: number): LogItem => {
    head++;
    const item = { cursor: head, forgetAfter, json: JSON.stringify({ ...body, cursor: head }) };
    log.push(item);
    return item;
  };

  const entryBody = (target: RevocationTarget, fields: EntryFields): RevocationEntry => {
    const revokedAt = fields.revokedAt ?? nowSec();
    return {
      cursor: 0,
      target,
      cause: fields.cause ?? 'admin',
      revokedAt,
      forgetAfter: fields.forgetAfter ?? revokedAt + forgetMarginSec,
    };
  };

  const snapshot = (url: URL, response: ServerResponse): void => {
    const after = numberParam(url.searchParams.get('after'), 0);
    const limit = numberParam(url.searchParams.get('limit'), defaultLimit);
    if (after === undefined || limit === undefined || limit < 1 || limit > maxLimit) {
      json(response, 400, { error: 'invalid_request' });
      return;
    }
    if (snapshotsFailing) {
      json(response, 503, { error: 'unavailable' });
      return;
    }
    const available = retained(after);
    const entries = available.slice(0, limit);
    const last = entries.at(-1);
    const cursor = last?.cursor ?? Math.max(after, head);
    const text = `{"entries":[${entries.map((item) => item.json).join(',')}],"cursor":${cursor},"more":${available.length > limit},"serverTime":${nowSec()},"retentionSec":${retentionSec},"heartbeatSec":${heartbeatSec}}`;
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'cache-control': 'no-store',
    });
    response.end(text);
  };

  const stream = (url: URL, request: IncomingMessage, response: ServerResponse): void => {
    const lastEventId = request.headers['last-event-id'];
    const from =
      typeof lastEventId === 'string'
        ? numberParam(lastEventId, 0)
        : numberParam(url.searchParams.get('after'), 0);
    if (from === undefined) {
      json(response, 400, { error: 'invalid_request' });
      return;
    }
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    response.flushHeaders();
    response.write(retained(from).map(entryEvent).join(''));
    if (!heartbeatsPaused) response.write(heartbeatEvent());
    const timer = setInterval(() => {
      if (!heartbeatsPaused) response.write(heartbeatEvent());
    }, heartbeatMs);
    const open: OpenStream = { response, timer };
    streams.add(open);
    response.on('close', () => {
      clearInterval(timer);
      streams.delete(open);
    });
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const authorized = request.headers.authorization === `Bearer ${consumerKey}`;
    const lastEventId = request.headers['last-event-id'];
    requests.push({
      path: url.pathname,
      after: url.searchParams.get('after'),
      lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
      authorized,
    });
    const known = url.pathname === '/revocations' || url.pathname === '/revocations/stream';
    if (!known || request.method !== 'GET') {
      json(response, 404, { error: 'not_found' });
      return;
    }
    if (!authorized) {
      response.setHeader('www-authenticate', 'Bearer');
      json(response, 401, { error: 'unauthorized' });
      return;
    }
    if (url.pathname === '/revocations') snapshot(url, response);
    else stream(url, request, response);
  };

  const listener = await listenRestartably(handle);
  const stop = async (): Promise<void> => {
    for (const open of streams) clearInterval(open.timer);
    await listener.stop();
  };

  return {
    uri: listener.origin,
    consumerKey,
    get head() {
      return head;
    },
    get openStreams() {
      return streams.size;
    },
    requests,
    append(target, fields = {}) {
      const { cursor: _, ...body } = entryBody(target, fields);
      const item = commit(body, body.forgetAfter);
      broadcast(entryEvent(item));
      return JSON.parse(item.json) as RevocationEntry;
    },
    appendElsewhere(target, fields = {}) {
      const { cursor: _, ...body } = entryBody(target, fields);
      return JSON.parse(commit(body, body.forgetAfter).json) as RevocationEntry;
    },
    failSnapshots() {
      snapshotsFailing = true;
    },
    restoreSnapshots() {
      snapshotsFailing = false;
    },
    appendMany(count, targetOf) {
      const items: LogItem[] = [];
      for (let i = 0; i < count; i++) {
        const { cursor: _, ...body } = entryBody(targetOf(i), {});
        items.push(commit(body, body.forgetAfter));
      }
      broadcast(items.map(entryEvent).join(''));
    },
    appendMalformed(body) {
      const forgetAfter = nowSec() + forgetMarginSec;
      const item = commit({ forgetAfter, ...body }, forgetAfter);
      broadcast(entryEvent(item));
      return item.cursor;
    },
    prune(at) {
      const kept = log.filter((item) => item.forgetAfter >= at);
      log.length = 0;
      log.push(...kept);
    },
    killStreams() {
      for (const open of streams) open.response.socket?.destroy();
    },
    pauseHeartbeats() {
      heartbeatsPaused = true;
    },
    resumeHeartbeats() {
      heartbeatsPaused = false;
      broadcast(heartbeatEvent());
    },
    stop,
    start: listener.start,
    close: stop,
  };
}
