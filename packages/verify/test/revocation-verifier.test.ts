import { performance } from 'node:perf_hooks';
import type { RejectReason } from '@writ/core';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import {
  ConfigurationError,
  createVerifier,
  InvalidTokenError,
  type RevocationOptions,
  RevocationSyncError,
  type Verifier,
  type VerifierOptions,
} from '../src/index.ts';
import { type RevocationServer, startRevocationServer } from './support/revocation-server.ts';
import { audience, issuer, nowSec, sign, validClaims } from './support/tokens.ts';

interface Harness {
  readonly verifier: Verifier;
  /** Every `onReject` reason, in order. */
  readonly reasons: RejectReason[];
  /** Every `revocations.onError` error, in order. */
  readonly errors: unknown[];
}

let key: SigningKey;
let otherKey: SigningKey;
let server: RevocationServer;
const open: Verifier[] = [];

beforeAll(async () => {
  [key, otherKey] = await Promise.all([ed25519('key-1'), ed25519('key-2')]);
});

beforeEach(async () => {
  server = await startRevocationServer({ heartbeatMs: 100 });
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((verifier) => verifier.close()));
  await server.close();
});

function mirrored(
  revocations: Partial<RevocationOptions> = {},
  options: Partial<VerifierOptions> = {},
): Harness {
  const reasons: RejectReason[] = [];
  const errors: unknown[] = [];
  const verifier = createVerifier({
    issuer,
    audience,
    jwks: { keys: [key.publicJwk, otherKey.publicJwk] },
    onReject: ({ reason }) => reasons.push(reason),
    ...options,
    revocations: {
      uri: server.uri,
      credentials: server.consumerKey,
      maxStalenessSec: 5,
      onError: (error) => errors.push(error),
      ...revocations,
    },
  });
  open.push(verifier);
  return { verifier, reasons, errors };
}

const mint = (claims: Record<string, unknown> = {}, signer: SigningKey = key): Promise<string> =>
  sign(signer, validClaims(claims));

/** `'verified'`, or the reason `onReject` was given. */
async function outcome(harness: Harness, token: string): Promise<RejectReason | 'verified'> {
  const before = harness.reasons.length;
  try {
    await harness.verifier.verify(token);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(harness.reasons.length).toBe(before + 1);
    return harness.reasons.at(-1) as RejectReason;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds and returns how long that took (ms); fails after `timeoutMs`. */
async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
): Promise<number> {
  const start = performance.now();
  while (!(await done())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
  return performance.now() - start;
}

/** Waits until `token` is refused with `reason`, returning how long that took. */
function untilRefused(harness: Harness, token: string, reason: RejectReason): Promise<number> {
  return until(`refusal (${reason})`, async () => (await outcome(harness, token)) === reason);
}

const streamRequests = (): number =>
  server.requests.filter((request) => request.path === '/revocations/stream').length;

describe('a verifier with a revocation mirror refuses revoked tokens', () => {
  it('by jti within a second of the entry being committed, cached or not, and keeps accepting others', async () => {
    const harness = mirrored();
    const uncached = mirrored({}, { cacheSize: 0 });
    const [doomed, other] = await Promise.all([mint(), mint()]);
    for (const h of [harness, uncached]) {
      expect(await outcome(h, doomed)).toBe('verified');
      expect(await outcome(h, doomed)).toBe('verified');
      expect(await outcome(h, other)).toBe('verified');
    }
    const jti = JSON.parse(Buffer.from(doomed.split('.')[1] ?? '', 'base64url').toString()).jti;
    server.append({ type: 'jti', value: jti }, { cause: 'sign_out' });
    expect(await untilRefused(harness, doomed, 'revoked')).toBeLessThan(1000);
    expect(await untilRefused(uncached, doomed, 'revoked')).toBeLessThan(1000);
    for (const h of [harness, uncached]) {
      expect(await outcome(h, other)).toBe('verified');
      expect(await outcome(h, await mint())).toBe('verified');
    }
  });

  it('by session: every token of the session, and no other session', async () => {
    const harness = mirrored();
    const [first, second, elsewhere] = await Promise.all([
      mint({ sid: 'ses_doomed' }),
      mint({ sid: 'ses_doomed' }),
      mint({ sid: 'ses_other' }),
    ]);
    for (const token of [first, second, elsewhere]) {
      expect(await outcome(harness, token)).toBe('verified');
    }
    server.append({ type: 'sid', value: 'ses_doomed' }, { cause: 'session_deleted' });
    expect(await untilRefused(harness, first, 'revoked')).toBeLessThan(1000);
    expect(await outcome(harness, second)).toBe('revoked');
    expect(await outcome(harness, await mint({ sid: 'ses_doomed' }))).toBe('revoked');
    expect(await outcome(harness, elsewhere)).toBe('verified');
  });

  it('by subject: tokens issued before the cutoff, not one issued at or after it, nor another subject’s', async () => {
    const harness = mirrored();
    const cutoff = nowSec() - 30;
    const [before, atCutoff, after, stranger] = await Promise.all([
      mint({ sub: 'usr_doomed', iat: cutoff - 60 }),
      mint({ sub: 'usr_doomed', iat: cutoff }),
      mint({ sub: 'usr_doomed', iat: cutoff + 20 }),
      mint({ sub: 'usr_other', iat: cutoff - 60 }),
    ]);
    expect(await outcome(harness, before)).toBe('verified');
    server.append(
      { type: 'sub', value: 'usr_doomed', issuedBefore: cutoff },
      { cause: 'password_changed' },
    );
    expect(await untilRefused(harness, before, 'revoked')).toBeLessThan(1000);
    expect(await outcome(harness, atCutoff)).toBe('verified');
    expect(await outcome(harness, after)).toBe('verified');
    expect(await outcome(harness, stranger)).toBe('verified');
  });

  it('by key: every token signed with the compromised kid, none signed with another', async () => {
    const harness = mirrored();
    const [compromised, safe] = await Promise.all([mint({}, key), mint({}, otherKey)]);
    expect(await outcome(harness, compromised)).toBe('verified');
    server.append({ type: 'kid', value: key.kid }, { cause: 'key_compromised' });
    expect(await untilRefused(harness, compromised, 'revoked')).toBeLessThan(1000);
    expect(await outcome(harness, await mint({}, key))).toBe('revoked');
    expect(await outcome(harness, safe)).toBe('verified');
  });

  it('checks revocation only after the token itself is good, so a bad token keeps its own reason', async () => {
    const harness = mirrored();
    const expired = await mint({ sid: 'ses_doomed', iat: nowSec() - 700, exp: nowSec() - 60 });
    server.append({ type: 'sid', value: 'ses_doomed' });
    await until('the entry', () => harness.verifier.revocations?.state().size === 1);
    expect(await outcome(harness, expired)).toBe('expired');
  });
});

describe('the snapshot', () => {
  it('loads every page of a 2,500-entry log before the first verify is answered', async () => {
    server.appendMany(2500, (i) => ({ type: 'jti', value: `jti-${i}` }));
    const harness = mirrored();
    const [last, first, fresh] = await Promise.all([
      mint({ jti: 'jti-2499' }),
      mint({ jti: 'jti-0' }),
      mint(),
    ]);
    expect(await outcome(harness, last)).toBe('revoked');
    expect(await outcome(harness, first)).toBe('revoked');
    expect(await outcome(harness, fresh)).toBe('verified');
    expect(harness.verifier.revocations?.state()).toMatchObject({ cursor: 2500, size: 2500 });
    const pages = server.requests.filter((request) => request.path === '/revocations');
    expect(pages.map((page) => page.after)).toEqual(['0', '1000', '2000']);
    expect(pages.every((page) => page.authorized)).toBe(true);
  });

  it('skips to the head when everything before it was pruned, and follows on from there', async () => {
    server.appendMany(5, (i) => ({ type: 'jti', value: `old-${i}` }));
    server.prune(Number.MAX_SAFE_INTEGER);
    const harness = mirrored();
    expect(await outcome(harness, await mint())).toBe('verified');
    expect(harness.verifier.revocations?.state()).toMatchObject({ cursor: 5, size: 0 });
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);
    expect(server.requests.at(-1)).toMatchObject({ path: '/revocations/stream', after: '5' });
  });
});

describe('following the stream', () => {
  it('resumes from its cursor after the stream is killed, losing no entry committed meanwhile', async () => {
    const harness = mirrored();
    const token = await mint({ sid: 'ses_meanwhile' });
    expect(await outcome(harness, token)).toBe('verified');
    server.append({ type: 'jti', value: 'before-the-cut' });
    await until('the first entry', () => harness.verifier.revocations?.state().cursor === 1);
    const streamsBefore = streamRequests();

    server.killStreams();
    server.append({ type: 'sid', value: 'ses_meanwhile' });
    expect(await untilRefused(harness, token, 'revoked')).toBeLessThan(1000);
    expect(streamRequests()).toBe(streamsBefore + 1);
    expect(server.requests.at(-1)).toMatchObject({
      path: '/revocations/stream',
      after: '1',
      lastEventId: '1',
      authorized: true,
    });
    expect(harness.errors.some((error) => error instanceof RevocationSyncError)).toBe(true);
    expect(harness.verifier.revocations?.state()).toMatchObject({ cursor: 2, size: 2 });
  });

  it('survives a restart of the service and picks up an entry committed while it was down', async () => {
    const harness = mirrored();
    const token = await mint({ sid: 'ses_while_down' });
    expect(await outcome(harness, token)).toBe('verified');
    await server.stop();
    await until('the lost stream', () => harness.verifier.revocations?.state().connected === false);
    server.append({ type: 'sid', value: 'ses_while_down' });
    await sleep(300);
    expect(await outcome(harness, token), 'still fresh within maxStalenessSec').toBe('verified');
    await server.start();
    await untilRefused(harness, token, 'revoked');
    expect(harness.verifier.revocations?.state()).toMatchObject({ cursor: 1, connected: true });
    expect(harness.errors.length).toBeGreaterThan(0);
  });

  it('reports a malformed entry, drops the connection, and never moves past it', async () => {
    const harness = mirrored({ maxStalenessSec: 2 });
    const token = await mint({ sid: 'ses_after_bad' });
    expect(await outcome(harness, token)).toBe('verified');
    const bad = server.appendMalformed({
      target: { type: 'jti', value: '' },
      cause: 'admin',
      revokedAt: nowSec(),
    });
    server.append({ type: 'sid', value: 'ses_after_bad' });
    await until('the malformed entry to be reported', () =>
      harness.errors.some(
        (error) => error instanceof RevocationSyncError && /malformed entry/.test(error.message),
      ),
    );
    await until('a reconnection', () => streamRequests() >= 2);
    expect(harness.verifier.revocations?.state().cursor).toBe(bad - 1);
    // The entry behind the bad one is never applied, so the mirror cannot vouch for the log: it
    // goes stale and fails closed instead of answering from a log with a hole in it.
    expect(await untilRefused(harness, token, 'revocations_stale')).toBeLessThan(3000);
    expect(await outcome(harness, await mint())).toBe('revocations_stale');
  });
});

describe('failing closed', () => {
  it('with a wrong consumer key never loads, keeps retrying, and refuses every token as revocations_stale', async () => {
    const started = performance.now();
    const harness = mirrored({ credentials: 'wck_wrong', maxStalenessSec: 2 });
    const token = await mint();
    expect(await outcome(harness, token)).toBe('revocations_stale');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(3000);
    // Once the startup wait is over, refusals are immediate instead of each waiting again (the
    // wait would be the 2 s bound: the margin is for a loaded machine, not for a second wait).
    const quick = performance.now();
    expect(await outcome(harness, token)).toBe('revocations_stale');
    expect(performance.now() - quick).toBeLessThan(1000);
    const statuses = harness.errors.map((error) => (error as RevocationSyncError).status);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(server.requests.every((request) => !request.authorized)).toBe(true);
    expect(harness.verifier.revocations?.state()).toMatchObject({
      cursor: 0,
      connected: false,
      stale: true,
    });
  });

  it('refuses every token once heartbeats stop for maxStalenessSec, and recovers when they resume', async () => {
    const harness = mirrored({ maxStalenessSec: 2 });
    const token = await mint();
    expect(await outcome(harness, token)).toBe('verified');
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);

    server.pauseHeartbeats();
    const paused = performance.now();
    await untilRefused(harness, token, 'revocations_stale');
    const silentFor = performance.now() - paused;
    expect(silentFor).toBeGreaterThanOrEqual(1800);
    expect(silentFor).toBeLessThan(2600);
    expect(await outcome(harness, await mint())).toBe('revocations_stale');
    expect(harness.verifier.revocations?.state().stale).toBe(true);
    expect(harness.verifier.revocations?.state().lagSec).toBeGreaterThan(2);

    server.resumeHeartbeats();
    await until('recovery', async () => (await outcome(harness, token)) === 'verified');
    expect(harness.verifier.revocations?.state()).toMatchObject({ stale: false, connected: true });
  });
});

describe('the mirror compares its cursor with the head every heartbeat reports', () => {
  const jtiOf = (token: string): string =>
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).jti;

  it('refuses a token revoked by another writer, whose entry its stream never sends, within two heartbeats', async () => {
    const harness = mirrored();
    const uncached = mirrored({}, { cacheSize: 0 });
    const [doomed, other] = await Promise.all([mint(), mint()]);
    for (const h of [harness, uncached]) expect(await outcome(h, doomed)).toBe('verified');
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);
    const entry = server.appendElsewhere({ type: 'jti', value: jtiOf(doomed) });
    // Heartbeats every 100 ms: one to learn the head, the next to find it still missing.
    expect(await untilRefused(harness, doomed, 'revoked')).toBeLessThan(1000);
    expect(await untilRefused(uncached, doomed, 'revoked')).toBeLessThan(1000);
    expect(harness.verifier.revocations?.state()).toMatchObject({
      cursor: entry.cursor,
      head: entry.cursor,
      stale: false,
    });
    expect(await outcome(harness, other)).toBe('verified');
    expect(harness.errors).toEqual([]);
  });

  it('goes stale within its bound when it is behind the head and the snapshot cannot catch it up', async () => {
    const harness = mirrored({ maxStalenessSec: 2 });
    const [doomed, other] = await Promise.all([mint(), mint()]);
    expect(await outcome(harness, doomed)).toBe('verified');
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);

    server.failSnapshots();
    const entry = server.appendElsewhere({ type: 'jti', value: jtiOf(doomed) });
    const committed = performance.now();
    await untilRefused(harness, doomed, 'revocations_stale');
    const acceptedFor = performance.now() - committed;
    expect(acceptedFor).toBeGreaterThanOrEqual(1700);
    expect(acceptedFor).toBeLessThan(2600);
    expect(await outcome(harness, other)).toBe('revocations_stale');
    expect(harness.verifier.revocations?.state()).toMatchObject({
      cursor: entry.cursor - 1,
      head: entry.cursor,
      connected: true,
      stale: true,
    });
    const behind = harness.errors.filter(
      (error) => error instanceof RevocationSyncError && error.code === 'behind_head',
    );
    expect(behind.length).toBeGreaterThan(0);

    server.restoreSnapshots();
    await until('the catch-up', async () => (await outcome(harness, other)) === 'verified');
    expect(await outcome(harness, doomed)).toBe('revoked');
  });

  it('waits one heartbeat for entries in flight before reading the snapshot', async () => {
    const harness = mirrored();
    await harness.verifier.verify(await mint());
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);
    const snapshots = (): number =>
      server.requests.filter((request) => request.path === '/revocations').length;
    const before = snapshots();
    for (let i = 0; i < 20; i++) {
      server.append({ type: 'jti', value: `streamed-${i}` });
      await sleep(20);
    }
    // Waited for, not slept on: on a loaded machine the stream can take longer than any pause.
    await until('the mirror to reach the head', () => {
      return harness.verifier.revocations?.state().cursor === server.head;
    });
    expect(harness.verifier.revocations?.state()).toMatchObject({
      cursor: server.head,
      stale: false,
    });
    expect(snapshots(), 'entries the stream delivers need no snapshot').toBe(before);
  });
});

describe('a token that outlives the revocation window is refused', () => {
  it('when its lifetime plus the largest clock tolerance exceeds the retention the service states', async () => {
    const harness = mirrored();
    const uncached = mirrored({}, { cacheSize: 0 });
    const now = nowSec();
    // Retention 930 s covers tokens of up to 930 − 30 s: everything Writ signs (≤ 900 s).
    const covered = await mint({ iat: now, exp: now + 900 });
    const outliving = await mint({ iat: now, exp: now + 901 });
    const day = await mint({ iat: now - 10, nbf: now, exp: now + 86_400 }, otherKey);
    for (const h of [harness, uncached]) {
      expect(await outcome(h, covered)).toBe('verified');
      expect(await outcome(h, covered), 'cached').toBe('verified');
      expect(await outcome(h, outliving)).toBe('lifetime_exceeds_revocation_window');
      expect(await outcome(h, day)).toBe('lifetime_exceeds_revocation_window');
    }
  });

  it('measured against what this service states, not a constant', async () => {
    await server.close();
    server = await startRevocationServer({ heartbeatMs: 100, retentionSec: 330 });
    const harness = mirrored();
    const now = nowSec();
    expect(await outcome(harness, await mint({ iat: now, exp: now + 300 }))).toBe('verified');
    expect(await outcome(harness, await mint({ iat: now, exp: now + 301 }))).toBe(
      'lifetime_exceeds_revocation_window',
    );
    expect(harness.verifier.revocations?.state().retentionSec).toBe(330);
  });

  it('and revoked tokens are still refused as revoked, the reason that matters', async () => {
    const harness = mirrored();
    const token = await mint({ jti: 'both' });
    server.append({ type: 'jti', value: 'both' });
    await untilRefused(harness, token, 'revoked');
  });
});

describe('a staleness bound that contradicts the service is reported', () => {
  it('once, when it is under two of the heartbeat intervals the service states', async () => {
    await server.close();
    server = await startRevocationServer({ heartbeatMs: 1500 });
    const harness = mirrored({ maxStalenessSec: 2 });
    await harness.verifier.verify(await mint());
    await until('the stream', () => harness.verifier.revocations?.state().connected === true);
    const problems = () =>
      harness.errors.filter(
        (error) =>
          error instanceof RevocationSyncError && error.code === 'staleness_bound_below_heartbeat',
      );
    await until('the report', () => problems().length > 0);
    // Once: not again with the heartbeats that follow.
    await sleep(1700);
    expect(problems()).toHaveLength(1);
    expect((problems()[0] as Error).message).toMatch(/at least 3 s/);
    expect(harness.verifier.revocations?.state()).toMatchObject({
      heartbeatSec: 1.5,
      boundBelowHeartbeat: true,
    });
  });

  it('and not when the bound covers two heartbeats', async () => {
    const harness = mirrored({ maxStalenessSec: 2 });
    await harness.verifier.verify(await mint());
    await sleep(300);
    expect(harness.verifier.revocations?.state().boundBelowHeartbeat).toBe(false);
    expect(harness.errors).toEqual([]);
  });
});

describe('housekeeping', () => {
  it('forgets entries once past their forgetAfter', async () => {
    const harness = mirrored();
    const t0 = nowSec();
    server.append({ type: 'jti', value: 'short-1' }, { forgetAfter: t0 + 60 });
    server.append({ type: 'sid', value: 'short-2' }, { forgetAfter: t0 + 90 });
    server.append({ type: 'jti', value: 'long' }, { forgetAfter: t0 + 3600 });
    await until('the entries', () => harness.verifier.revocations?.state().size === 3);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime((t0 + 120) * 1000);
    // Contact (here the next heartbeat) and state() prune; the verify path never does.
    await until('a heartbeat at the new time', () => !harness.verifier.revocations?.state().stale);
    expect(harness.verifier.revocations?.state()).toMatchObject({ cursor: 3, size: 1 });
    const long = await mint({ jti: 'long' });
    expect(await outcome(harness, long)).toBe('revoked');
    expect(await outcome(harness, await mint({ jti: 'short-1' }))).toBe('verified');
  });

  it('reports cursor, size, lag and connection through state()', async () => {
    server.appendMany(3, (i) => ({ type: 'jti', value: `s-${i}` }));
    const harness = mirrored();
    const status = harness.verifier.revocations;
    expect(status?.state()).toMatchObject({ cursor: 0, size: 0, stale: true });
    await harness.verifier.verify(await mint());
    await until('the stream', () => status?.state().connected === true);
    const state = status?.state();
    expect(state).toMatchObject({ cursor: 3, size: 3, connected: true, stale: false });
    expect(state?.lagSec).toBeGreaterThanOrEqual(0);
    expect(state?.lagSec).toBeLessThan(1);
    expect(state).toMatchObject({
      head: 3,
      retentionSec: 930,
      heartbeatSec: 0.1,
      boundBelowHeartbeat: false,
    });
    expect(Object.keys(state ?? {}).sort()).toEqual([
      'boundBelowHeartbeat',
      'connected',
      'cursor',
      'head',
      'heartbeatSec',
      'lagSec',
      'retentionSec',
      'size',
      'stale',
    ]);
    expect(createVerifier({ issuer, audience, jwks: { keys: [] } }).revocations).toBeUndefined();
  });

  it('close() ends the stream and every timer, and verifies are refused afterwards', async () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    const baseline = timers();
    const harness = mirrored();
    const token = await mint();
    expect(await outcome(harness, token)).toBe('verified');
    await until('the stream', () => server.openStreams === 1);

    await harness.verifier.close();
    expect(harness.verifier.revocations?.state()).toMatchObject({ connected: false, stale: true });
    await until('the server to see the stream go', () => server.openStreams === 0);
    expect(timers()).toBeLessThanOrEqual(baseline);
    expect(await outcome(harness, token)).toBe('revocations_stale');
    const requestsAfterClose = server.requests.length;
    await sleep(300);
    expect(server.requests.length).toBe(requestsAfterClose);
    expect(harness.errors.filter((e) => !(e instanceof RevocationSyncError))).toEqual([]);
    await harness.verifier.close();
  });

  it('close() releases verifies still waiting for the first snapshot', async () => {
    const harness = mirrored({ credentials: 'wck_wrong', maxStalenessSec: 30 });
    const pending = outcome(harness, await mint());
    await sleep(50);
    const closing = performance.now();
    await harness.verifier.close();
    expect(await pending).toBe('revocations_stale');
    // Released by close(), not by the 30 s bound running out (the margin is for a loaded machine).
    expect(performance.now() - closing).toBeLessThan(2000);
  });

  it('is a no-op to close a verifier without a mirror', async () => {
    const verifier = createVerifier({ issuer, audience, jwks: { keys: [key.publicJwk] } });
    await verifier.close();
    await expect(verifier.verify(await mint())).resolves.toBeDefined();
  });
});

describe('revocation options are validated at construction', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['plain http to a remote host', { uri: 'http://auth.writ.test' }],
    ['a relative uri', { uri: '/auth' }],
    ['a uri with a query', { uri: 'https://auth.writ.test/?tenant=a' }],
    ['a uri carrying credentials', { uri: 'https://user:pw@auth.writ.test' }],
    ['no credentials', { credentials: undefined }],
    ['empty credentials', { credentials: '' }],
    ['credentials with a line break', { credentials: 'wck_a\r\nx-injected: 1' }],
    ['credentials with a space', { credentials: 'wck a' }],
    ['a staleness bound under 2 s', { maxStalenessSec: 1 }],
    ['a staleness bound over 300 s (longer than a third of any token)', { maxStalenessSec: 301 }],
    ['a staleness bound of an hour', { maxStalenessSec: 3600 }],
    ['a staleness bound of NaN', { maxStalenessSec: Number.NaN }],
    ['an onError that is not a function', { onError: 'log' }],
  ];

  it.each(cases)('refusing %s', (_name, change) => {
    expect(() =>
      createVerifier({
        issuer,
        audience,
        jwks: { keys: [] },
        revocations: {
          uri: 'https://auth.writ.test',
          credentials: 'wck_valid',
          ...change,
        } as RevocationOptions,
      }),
    ).toThrow(ConfigurationError);
  });

  it('accepting a base URL with a trailing slash, and calling the endpoints below it', async () => {
    const verifier = createVerifier({
      issuer,
      audience,
      jwks: { keys: [key.publicJwk] },
      revocations: { uri: `${server.uri}/`, credentials: server.consumerKey },
    });
    open.push(verifier);
    await verifier.verify(await mint());
    expect(server.requests[0]).toMatchObject({ path: '/revocations', authorized: true });
  });
});
