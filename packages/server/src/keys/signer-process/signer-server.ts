import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { encodeFrame, type Frame, FrameReader } from './frames.ts';
import {
  clientProof,
  freshNonce,
  parseNonce,
  proofMatches,
  protocolVersion,
  signerProof,
} from './handshake.ts';
import type { SignerRefusal } from './signer-errors.ts';
import { SignerProtocolError, SignerStartError } from './signer-errors.ts';
import { isSignerKeyState, type SignerKeyStore } from './signer-key-store.ts';
import { isSignerAlgorithm } from './signer-keys.ts';

export interface SignerLimits {
  /** Connections open at once; past it, a new one is closed on arrival. */
  readonly maxConnections: number;
  /** Requests one connection may have unanswered; past it, `busy`. */
  readonly maxInFlightPerConnection: number;
  /** A connection that has not completed the handshake by then is closed. */
  readonly handshakeTimeoutMs: number;
  /** An authenticated connection with nothing in flight and nothing sent for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Answers a peer has not read, in bytes; past it the peer is cut off. */
  readonly maxUnreadBytes: number;
}

export const defaultSignerLimits: SignerLimits = {
  maxConnections: 64,
  maxInFlightPerConnection: 256,
  handshakeTimeoutMs: 2_000,
  idleTimeoutMs: 5 * 60_000,
  maxUnreadBytes: 1024 * 1024,
};

/** What the signer reports, never with a secret, a signing input or key material. */
export type SignerEvent =
  | { readonly kind: 'connection_refused'; readonly reason: 'too_many_connections' }
  | {
      readonly kind: 'connection_closed';
      readonly reason:
        | 'bad_handshake'
        | 'handshake_timeout'
        | 'protocol_error'
        | 'idle'
        | 'slow_reader';
    }
  | { readonly kind: 'key_created'; readonly kid: string; readonly alg: string }
  | { readonly kind: 'key_state'; readonly kid: string; readonly state: string }
  | { readonly kind: 'request_failed'; readonly op: string };

export interface SignerServerOptions {
  readonly socketPath: string;
  readonly secret: Uint8Array;
  readonly store: SignerKeyStore;
  readonly limits?: Partial<SignerLimits>;
  readonly onEvent?: (event: SignerEvent) => void;
}

export interface RunningSigner {
  readonly socketPath: string;
  /** Stops accepting, closes every connection, removes the socket, waits for the store. */
  close(): Promise<void>;
}

/**
 * The socket goes in a folder only the signer's user can enter; it is made 0600 as it is
 * created (umask) and again after. A path that exists is reused only if it is a socket nobody
 * listens on (left by a crash); anything else, a live signer included, stops the start.
 */
async function prepareSocketPath(socketPath: string): Promise<void> {
  const folder = dirname(socketPath);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const info = await stat(folder);
  if (info.uid !== process.getuid?.() || (info.mode & 0o077) !== 0) {
    throw new SignerStartError(
      `${folder} (the socket's folder) must belong to the signer's user and be closed to others (chmod 700)`,
    );
  }
  let existing: Awaited<ReturnType<typeof lstat>>;
  try {
    existing = await lstat(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!existing.isSocket()) {
    throw new SignerStartError(`${socketPath} exists and is not a socket; refusing to replace it`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new SignerStartError(`a signer already listens on ${socketPath}`);
  await unlink(socketPath);
}

function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // The bind happens inside listen(): with this umask the socket is never, even briefly, open
    // to others.
    const previous = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** Starts the signer on `socketPath`; it answers the service's custody (signer-custody.ts). */
export async function startSignerServer(options: SignerServerOptions): Promise<RunningSigner> {
  const limits = { ...defaultSignerLimits, ...options.limits };
  const { store, secret, socketPath } = options;
  const report = options.onEvent ?? (() => {});
  await prepareSocketPath(socketPath);
  const connections = new Set<Socket>();
  const server = createServer({ pauseOnConnect: false }, (socket) => {
    if (connections.size >= limits.maxConnections) {
      report({ kind: 'connection_refused', reason: 'too_many_connections' });
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    serveConnection(socket, { secret, store, limits, report });
  });
  await listen(server, socketPath);
  await chmod(socketPath, 0o600);
  return {
    socketPath,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
      await unlink(socketPath).catch(() => {});
      await store.close();
    },
  };
}

interface ConnectionContext {
  readonly secret: Uint8Array;
  readonly store: SignerKeyStore;
  readonly limits: SignerLimits;
  readonly report: (event: SignerEvent) => void;
}

function serveConnection(socket: Socket, context: ConnectionContext): void {
  const { secret, store, limits, report } = context;
  const reader = new FrameReader();
  const signerNonce = freshNonce();
  let authenticated = false;
  let inFlight = 0;
  let closed = false;
  let idleTimer: NodeJS.Timeout | undefined;

  const close = (reason: Extract<SignerEvent, { kind: 'connection_closed' }>['reason']) => {
    if (closed) return;
    closed = true;
    clearTimeout(handshakeTimer);
    clearTimeout(idleTimer);
    report({ kind: 'connection_closed', reason });
    socket.destroy();
  };
  const send = (header: Record<string, unknown>, body?: Uint8Array) => {
    if (closed) return;
    socket.write(encodeFrame(header, body));
    if (socket.writableLength > limits.maxUnreadBytes) close('slow_reader');
  };
  const armIdleTimer = () => {
    clearTimeout(idleTimer);
    if (inFlight === 0) idleTimer = setTimeout(() => close('idle'), limits.idleTimeoutMs);
  };
  const handshakeTimer = setTimeout(() => close('handshake_timeout'), limits.handshakeTimeoutMs);

  const answer = async (id: number, op: string, work: () => Promise<Frame>) => {
    inFlight += 1;
    let response: Frame;
    try {
      response = await work();
    } catch {
      report({ kind: 'request_failed', op });
      response = refusal('internal');
    }
    inFlight -= 1;
    send({ ...response.header, type: 'response', id }, response.body);
    armIdleTimer();
  };

  const onFrame = (frame: Frame) => {
    const { header } = frame;
    if (!authenticated) {
      const clientNonce = parseNonce(header.nonce);
      if (
        header.type !== 'hello' ||
        clientNonce === undefined ||
        !proofMatches(clientProof(secret, signerNonce), header.proof)
      ) {
        // Tell an honest client with the wrong secret what happened; say nothing else.
        send({ type: 'refused' });
        close('bad_handshake');
        return;
      }
      authenticated = true;
      clearTimeout(handshakeTimer);
      send({ type: 'welcome', proof: signerProof(secret, clientNonce).toString('base64url') });
      armIdleTimer();
      return;
    }
    const { id, op } = header;
    if (
      header.type !== 'request' ||
      typeof id !== 'number' ||
      !Number.isSafeInteger(id) ||
      id < 0 ||
      typeof op !== 'string'
    ) {
      throw new SignerProtocolError('not a request frame');
    }
    clearTimeout(idleTimer);
    if (inFlight >= limits.maxInFlightPerConnection) {
      const busy = refusal('busy');
      send({ ...busy.header, type: 'response', id });
      return;
    }
    void answer(id, op, () => handleRequest(store, op, frame, report));
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of reader.push(chunk)) {
        if (closed) return;
        onFrame(frame);
      }
    } catch (error) {
      if (!(error instanceof SignerProtocolError)) throw error;
      // Only this connection ends; the others, and the signer, go on.
      send({ type: 'protocol_error' });
      close('protocol_error');
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    closed = true;
    clearTimeout(handshakeTimer);
    clearTimeout(idleTimer);
  });
  send({ type: 'challenge', protocol: protocolVersion, nonce: signerNonce.toString('base64url') });
}

function refusal(reason: SignerRefusal): Frame {
  return { header: { ok: false, error: reason }, body: new Uint8Array(0) };
}

function ok(header: Record<string, unknown> = {}, body: Uint8Array = new Uint8Array(0)): Frame {
  return { header: { ...header, ok: true }, body };
}

/**
 * The protected header of a JWS signing input (`base64url(header).base64url(payload)`), or
 * undefined when the bytes are not one.
 */
function protectedHeaderOf(signingInput: Uint8Array): Record<string, unknown> | undefined {
  const bytes = Buffer.from(signingInput.buffer, signingInput.byteOffset, signingInput.byteLength);
  const dot = bytes.indexOf(0x2e);
  if (dot <= 0 || bytes.indexOf(0x2e, dot + 1) !== -1) return undefined;
  const encoded = bytes.toString('latin1', 0, dot);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header)
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function handleRequest(
  store: SignerKeyStore,
  op: string,
  frame: Frame,
  report: (event: SignerEvent) => void,
): Promise<Frame> {
  const { header, body } = frame;
  switch (op) {
    case 'create': {
      if (!isSignerAlgorithm(header.alg)) return refusal('unsupported_algorithm');
      const key = await store.create(header.alg);
      report({ kind: 'key_created', kid: key.kid, alg: key.alg });
      return ok({ handle: key.handle, kid: key.kid, alg: key.alg, publicJwk: key.publicJwk });
    }
    case 'sign': {
      if (typeof header.handle !== 'string') return refusal('bad_request');
      const key = store.signingKey(header.handle);
      if (!key.ok) return refusal(key.reason);
      // The key signs JWS signing inputs that name it, nothing else: bytes of another protocol
      // (or a token claiming another key or algorithm) are not signed, whoever asks.
      const protectedHeader = protectedHeaderOf(body);
      if (protectedHeader?.alg !== key.alg || protectedHeader.kid !== key.kid) {
        return refusal('header_mismatch');
      }
      return ok({}, await key.sign(body));
    }
    case 'state': {
      if (typeof header.handle !== 'string' || !isSignerKeyState(header.state)) {
        return refusal('bad_request');
      }
      const outcome = await store.changeState(header.handle, header.state);
      if (outcome !== 'changed') return refusal(outcome);
      const kid = store.list().find((key) => key.handle === header.handle)?.kid ?? '';
      report({ kind: 'key_state', kid, state: header.state });
      return ok();
    }
    case 'list':
      return ok({ keys: store.list() });
    default:
      return refusal('bad_request');
  }
}
