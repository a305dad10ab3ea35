import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { calculateJwkThumbprint, compactVerify, importJWK, type JWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { CustodyKey, KeyCustody, SigningAlgorithm } from '../src/keys/key-custody.ts';
import { encodeFrame, FrameReader, maxFrameBytes } from '../src/keys/signer-process/frames.ts';
import { clientProof, parseNonce } from '../src/keys/signer-process/handshake.ts';
import {
  createSignerProcessCustody,
  type SignerProcessCustody,
} from '../src/keys/signer-process/signer-custody.ts';
import {
  SignerRefusedError,
  SignerStartError,
  SignerUnavailableError,
} from '../src/keys/signer-process/signer-errors.ts';
import { SignerKeyStore } from '../src/keys/signer-process/signer-key-store.ts';
import {
  type RunningSigner,
  type SignerLimits,
  startSignerServer,
} from '../src/keys/signer-process/signer-server.ts';
import { eventually } from './support/interop-rp.ts';
import { nodeBinary } from './support/processes.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'writ-signer-'));
  chmodSync(dir, 0o700);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Setup {
  readonly dir: string;
  readonly socketPath: string;
  readonly secret: Buffer;
  readonly masterKey: Buffer;
  readonly storeDir: string;
}

function setup(): Setup {
  const dir = workdir();
  return {
    dir,
    socketPath: join(dir, 'run', 'signer.sock'),
    secret: randomBytes(32),
    masterKey: randomBytes(32),
    storeDir: join(dir, 'store'),
  };
}

async function startSigner(s: Setup, limits: Partial<SignerLimits> = {}): Promise<RunningSigner> {
  const store = await SignerKeyStore.open(s.storeDir, s.masterKey);
  const running = await startSignerServer({
    socketPath: s.socketPath,
    secret: s.secret,
    store,
    limits,
  });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await running.close();
  });
  return {
    socketPath: running.socketPath,
    async close() {
      closed = true;
      await running.close();
    },
  };
}

function custodyFor(s: Setup, secret: Uint8Array = s.secret, callTimeoutMs = 2000) {
  const custody = createSignerProcessCustody({ socketPath: s.socketPath, secret, callTimeoutMs });
  cleanups.push(() => custody.close());
  return custody;
}

const encoder = new TextEncoder();

function signingInput(
  key: Pick<CustodyKey, 'alg' | 'kid'>,
  claims: object = { sub: 'u1' },
): Uint8Array {
  const header = Buffer.from(
    JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid }),
  ).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return encoder.encode(`${header}.${payload}`);
}

async function signJwt(custody: KeyCustody, key: CustodyKey, claims?: object): Promise<string> {
  const input = signingInput(key, claims);
  const handle = await custody.open(key);
  const signature = await handle.sign(input);
  return `${new TextDecoder().decode(input)}.${Buffer.from(signature).toString('base64url')}`;
}

async function activeKey(
  custody: KeyCustody,
  alg: SigningAlgorithm = 'EdDSA',
): Promise<CustodyKey> {
  const key = await custody.create(alg);
  await custody.stateChanged(key, 'active');
  return key;
}

/** An authenticated raw connection, to send what the custody never would. */
async function rawConnection(s: Setup, secret: Uint8Array = s.secret) {
  const socket = createConnection(s.socketPath);
  const reader = new FrameReader();
  const frames: Record<string, unknown>[] = [];
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  socket.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) frames.push(frame.header);
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  const next = async (): Promise<Record<string, unknown> | undefined> => {
    while (frames.length === 0 && !closed)
      await new Promise<void>((resolve) => waiters.push(resolve));
    return frames.shift();
  };
  const challenge = await next();
  const nonce = parseNonce(challenge?.nonce) as Buffer;
  socket.write(
    encodeFrame({
      type: 'hello',
      proof: clientProof(secret, nonce).toString('base64url'),
      nonce: randomBytes(32).toString('base64url'),
    }),
  );
  const welcome = await next();
  cleanups.push(() => {
    socket.destroy();
  });
  return {
    socket: socket as Socket,
    welcome,
    next,
    isClosed: () => closed,
    whenClosed: async () => {
      while (!closed) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

describe('the signer process custody', () => {
  it.each<SigningAlgorithm>(['EdDSA', 'ES256', 'PS256', 'RS256', 'ML-DSA-44', 'ML-DSA-65'])(
    'makes a %s key whose kid is its thumbprint, publishes no private member, and signs tokens jose verifies',
    async (alg) => {
      const s = setup();
      await startSigner(s);
      const custody = custodyFor(s, s.secret, 10_000);
      const key = await activeKey(custody, alg);
      expect(key.custodyRef).not.toContain(key.kid);
      expect(key.publicJwk).toMatchObject({ kid: key.kid, alg, use: 'sig' });
      expect(await calculateJwkThumbprint(key.publicJwk)).toBe(key.kid);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'priv']) {
        expect(key.publicJwk).not.toHaveProperty(member);
      }
      const jwt = await signJwt(custody, key, { sub: 'alice' });
      const verified = await compactVerify(jwt, await importJWK(key.publicJwk, alg));
      expect(verified.protectedHeader).toMatchObject({ alg, kid: key.kid });
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual({ sub: 'alice' });
    },
    20_000,
  );

  it('signs only with an active key: next, retiring and retired keys are refused, and states never move back', async () => {
    const s = setup();
    await startSigner(s);
    const custody = custodyFor(s);
    const key = await custody.create('ES256');
    await expect(signJwt(custody, key)).rejects.toMatchObject({ reason: 'key_not_active' });
    await custody.stateChanged(key, 'active');
    await signJwt(custody, key);
    await custody.stateChanged(key, 'retiring');
    await expect(signJwt(custody, key)).rejects.toMatchObject({ reason: 'key_not_active' });
    // A compromised service cannot bring an old key back to sign with.
    await expect(custody.stateChanged(key, 'active')).rejects.toMatchObject({
      code: 'ERR_SIGNER_REFUSED',
      reason: 'state_regression',
    });
    await expect(signJwt(custody, key)).rejects.toBeInstanceOf(SignerRefusedError);
  });

  it('destroys the private half of a retired key: gone from the store file, refused after a restart', async () => {
    const s = setup();
    const signer = await startSigner(s);
    const custody = custodyFor(s);
    const kept = await activeKey(custody, 'EdDSA');
    const retired = await activeKey(custody, 'EdDSA');
    const storePath = join(s.storeDir, 'signer-keys.json');
    const before = JSON.parse(readFileSync(storePath, 'utf8')) as {
      keys: { kid: string; sealedPrivateJwk: string | null }[];
    };
    expect(before.keys.every((key) => typeof key.sealedPrivateJwk === 'string')).toBe(true);
    await custody.stateChanged(retired, 'retired');
    const after = JSON.parse(readFileSync(storePath, 'utf8')) as typeof before;
    expect(after.keys.find((key) => key.kid === retired.kid)?.sealedPrivateJwk).toBeNull();
    expect(after.keys.find((key) => key.kid === kept.kid)?.sealedPrivateJwk).toEqual(
      before.keys.find((key) => key.kid === kept.kid)?.sealedPrivateJwk,
    );
    // Nothing in the file is private key material in the clear.
    expect(readFileSync(storePath, 'utf8')).not.toMatch(/"d"\s*:/);
    await expect(signJwt(custody, retired)).rejects.toMatchObject({ reason: 'key_not_active' });
    await signer.close();
    await startSigner(s);
    await signJwt(custody, kept);
    await expect(signJwt(custody, retired)).rejects.toMatchObject({ reason: 'key_not_active' });
    expect((await custody.listKeys()).map(({ kid, state }) => ({ kid, state }))).toEqual([
      { kid: kept.kid, state: 'active' },
      { kid: retired.kid, state: 'retired' },
    ]);
  });

  it('signs only JWS signing inputs naming the key: another kid, another alg or bare bytes are refused', async () => {
    const s = setup();
    await startSigner(s);
    const custody = custodyFor(s);
    const key = await activeKey(custody, 'EdDSA');
    const handle = await custody.open(key);
    for (const input of [
      signingInput({ alg: 'EdDSA', kid: 'someone-else' }),
      signingInput({ alg: 'ES256', kid: key.kid }),
      encoder.encode('not a jws at all'),
      encoder.encode(`${Buffer.from('{"alg":"EdDSA"').toString('base64url')}.e30`),
    ]) {
      await expect(handle.sign(input)).rejects.toMatchObject({ reason: 'header_mismatch' });
    }
  });

  it('pipelines many signatures over one connection, each answered to its own request', async () => {
    const s = setup();
    await startSigner(s);
    const custody = custodyFor(s);
    const key = await activeKey(custody, 'ES256');
    const publicKey = await importJWK(key.publicJwk, 'ES256');
    const jwts = await Promise.all(
      Array.from({ length: 200 }, (_, index) => signJwt(custody, key, { n: index })),
    );
    for (const [index, jwt] of jwts.entries()) {
      const { payload } = await compactVerify(jwt, publicKey);
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ n: index });
    }
  });

  it('refuses a client with the wrong secret, and a client refuses a signer without the secret', async () => {
    const s = setup();
    await startSigner(s);
    const wrong = custodyFor(s, randomBytes(32));
    await expect(wrong.create('EdDSA')).rejects.toThrow(/refused the handshake/);
    await expect(wrong.create('EdDSA')).rejects.toBeInstanceOf(SignerUnavailableError);
    // Before the handshake, a request is not answered: the connection is closed.
    const socket = createConnection(s.socketPath);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write(encodeFrame({ type: 'request', id: 1, op: 'list' }));
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(new FrameReader().push(Buffer.concat(received)).map((frame) => frame.header)).toEqual([
      { type: 'refused' },
    ]);
    // The right secret still works, on the same signer.
    await custodyFor(s).create('EdDSA');
  });

  it('a frame over the cap or a malformed frame closes only that connection', async () => {
    const s = setup();
    await startSigner(s);
    const custody = custodyFor(s);
    const key = await activeKey(custody, 'EdDSA');
    const oversized = await rawConnection(s);
    expect(oversized.welcome?.type).toBe('welcome');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(maxFrameBytes + 1);
    oversized.socket.write(length);
    expect(await oversized.next()).toEqual({ type: 'protocol_error' });
    await oversized.whenClosed();
    const malformed = await rawConnection(s);
    const garbage = Buffer.from('{not json', 'utf8');
    const frame = Buffer.alloc(6 + garbage.length);
    frame.writeUInt32BE(2 + garbage.length, 0);
    frame.writeUInt16BE(garbage.length, 4);
    garbage.copy(frame, 6);
    malformed.socket.write(frame);
    expect(await malformed.next()).toEqual({ type: 'protocol_error' });
    await malformed.whenClosed();
    // The custody's own connection, opened before, is undisturbed.
    await signJwt(custody, key);
  });

  it('bounds connections and requests in flight on one connection', async () => {
    const s = setup();
    await startSigner(s, { maxConnections: 2, maxInFlightPerConnection: 4 });
    const first = await rawConnection(s);
    const second = await rawConnection(s);
    const third = createConnection(s.socketPath);
    third.on('error', () => {});
    let heardFromSigner = false;
    third.on('data', () => {
      heardFromSigner = true;
    });
    await new Promise((resolve) => third.once('close', resolve));
    // Closed on arrival: not even a challenge (a handshake timeout would have sent one).
    expect(heardFromSigner).toBe(false);
    second.socket.destroy();
    await second.whenClosed();
    // Creating RSA keys is slow, so these stay in flight while the fifth arrives.
    for (let id = 0; id < 5; id += 1) {
      first.socket.write(encodeFrame({ type: 'request', id, op: 'create', alg: 'RS256' }));
    }
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await first.next());
    expect(answers[0]).toEqual({ type: 'response', id: 4, ok: false, error: 'busy' });
    expect(answers.slice(1).every((answer) => answer?.ok === true)).toBe(true);
    // Through the custody, `busy` is the temporary error (a 503), not a refusal.
    const custody = custodyFor(s, s.secret, 10_000);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => custody.create('RS256')),
    );
    const failures = outcomes.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason] : [],
    );
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.every((error) => error instanceof SignerUnavailableError)).toBe(true);
  }, 30_000);

  it('closes a connection that does not finish the handshake in time, and an idle one; the custody reconnects', async () => {
    const s = setup();
    await startSigner(s, { handshakeTimeoutMs: 150, idleTimeoutMs: 150 });
    const silent = createConnection(s.socketPath);
    silent.on('error', () => {});
    const heard: Buffer[] = [];
    silent.on('data', (chunk: Buffer) => heard.push(chunk));
    const opened = performance.now();
    await new Promise((resolve) => silent.once('close', resolve));
    expect(performance.now() - opened).toBeGreaterThanOrEqual(100);
    expect(new FrameReader().push(Buffer.concat(heard))[0]?.header.type).toBe('challenge');
    const idle = await rawConnection(s);
    expect(idle.welcome?.type).toBe('welcome');
    await idle.whenClosed();
    const custody = custodyFor(s);
    const key = await activeKey(custody, 'EdDSA');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Its connection was closed as idle meanwhile; the next call simply reconnects.
    await signJwt(custody, key);
  });

  it('a signer that is down fails the call quickly with the typed error, never a hang', async () => {
    const s = setup();
    mkdirSync(join(s.dir, 'run'), { mode: 0o700 });
    // A long timeout, so "quickly" means what it says: a refused connect fails the call at once,
    // it does not wait out the timeout (that, or a hang, takes 5 s or more, past the bound; the
    // bound leaves a loaded machine 4 s for two refused connects).
    const timeoutMs = 5000;
    const custody = custodyFor(s, s.secret, timeoutMs);
    const started = performance.now();
    await expect(custody.create('EdDSA')).rejects.toBeInstanceOf(SignerUnavailableError);
    await expect(
      custody
        .open({ kid: 'k', alg: 'EdDSA', custodyRef: 'h' })
        .then((handle) => handle.sign(signingInput({ alg: 'EdDSA', kid: 'k' }))),
    ).rejects.toMatchObject({ code: 'ERR_SIGNER_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(timeoutMs - 1000);
  });

  it('a signer that stops answering fails the call at its timeout', async () => {
    const s = setup();
    mkdirSync(join(s.dir, 'run'), { mode: 0o700 });
    // Something listens on the path but never speaks: the handshake cannot complete.
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(s.socketPath, resolve));
    cleanups.push(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    // Longer than the client's 1 s default, so failing at the default instead would show too.
    const timeoutMs = 1500;
    const custody = custodyFor(s, s.secret, timeoutMs);
    const started = performance.now();
    await expect(custody.create('EdDSA')).rejects.toBeInstanceOf(SignerUnavailableError);
    const elapsedMs = performance.now() - started;
    // At its timeout: not before (timers never fire early; 10 ms for their rounding), and not
    // long after, with 2 s for a loaded machine (a hang fails here, or at the test's timeout).
    expect(elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 10);
    expect(elapsedMs).toBeLessThan(timeoutMs + 2000);
  });

  it('reconnects after the signer restarts mid-load; signatures made before and after verify', async () => {
    const s = setup();
    let signer = await startSigner(s);
    const custody = custodyFor(s, s.secret, 1000);
    const key = await activeKey(custody, 'EdDSA');
    const publicKey = await importJWK(key.publicJwk, 'EdDSA');
    let signed = 0;
    const failures: unknown[] = [];
    let running = true;
    const load = (async () => {
      while (running) {
        await Promise.all(
          Array.from({ length: 8 }, () =>
            signJwt(custody, key).then(
              async (jwt) => {
                await compactVerify(jwt, publicKey);
                signed += 1;
              },
              (error: unknown) => failures.push(error),
            ),
          ),
        );
      }
    })();
    let atRestart = 0;
    try {
      // Each wait has a deadline (it fails, never hangs), the two within the test's timeout.
      await eventually(() => (signed >= 200 ? true : undefined), 8000);
      await signer.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
      signer = await startSigner(s);
      atRestart = signed;
      await eventually(() => (signed >= atRestart + 200 ? true : undefined), 8000);
    } finally {
      // Stopped whatever happened: after the cleanup closes the custody its calls fail at once,
      // and a load left running would spin on them.
      running = false;
      await load;
    }
    // Every failure is the typed, temporary one; nothing else broke.
    expect(failures.every((error) => error instanceof SignerUnavailableError)).toBe(true);
    expect(signed).toBeGreaterThanOrEqual(atRestart + 200);
  }, 25_000);

  it('keeps its keys across restarts, sealed under its master key; another master key does not open them', async () => {
    const s = setup();
    const signer = await startSigner(s);
    const custody = custodyFor(s);
    const key = await activeKey(custody, 'ES256');
    await signer.close();
    await startSigner(s);
    await compactVerify(await signJwt(custody, key), await importJWK(key.publicJwk, 'ES256'));
    await expect(SignerKeyStore.open(s.storeDir, randomBytes(32))).rejects.toBeInstanceOf(
      SignerStartError,
    );
  });

  it('refuses to start on a path that is not a stale socket, and replaces a stale one', async () => {
    const s = setup();
    mkdirSync(join(s.dir, 'run'), { mode: 0o700 });
    writeFileSync(s.socketPath, 'not a socket');
    await expect(startSigner(s)).rejects.toThrow(/is not a socket/);
    rmSync(s.socketPath);
    await startSigner(s);
    // A second signer on the same, live path is refused.
    await expect(startSigner(s)).rejects.toThrow(/already listens/);
    // A socket left behind by a crash (nobody listening) is replaced.
    const other = setup();
    mkdirSync(join(other.dir, 'run'), { mode: 0o700 });
    // A process that listened and was killed: its socket file stays, nobody listens on it.
    const crashed = spawn(nodeBinary, [
      '-e',
      "require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))",
      other.socketPath,
    ]);
    await new Promise((resolve) => crashed.stdout.once('data', resolve));
    const exited = new Promise((resolve) => crashed.once('exit', resolve));
    crashed.kill('SIGKILL');
    await exited;
    expect(lstatSync(other.socketPath).isSocket()).toBe(true);
    const replaced = await startSigner(other);
    expect(replaced.socketPath).toBe(other.socketPath);
    await custodyFor(other).create('EdDSA');
  });

  it('makes its socket 0600 and refuses a socket folder open to others', async () => {
    const s = setup();
    await startSigner(s);
    const { statSync } = await import('node:fs');
    expect(statSync(s.socketPath).mode & 0o777).toBe(0o600);
    const open = setup();
    mkdirSync(join(open.dir, 'run'), { mode: 0o755 });
    chmodSync(join(open.dir, 'run'), 0o755);
    await expect(startSigner(open)).rejects.toThrow(/closed to others/);
  });
});

// A custody is a KeyCustody: this fails to compile if the shapes drift apart.
const _typed: (custody: SignerProcessCustody) => KeyCustody = (custody) => custody;
void _typed;
void (undefined as JWK | undefined);
