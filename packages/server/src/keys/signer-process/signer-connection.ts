import { createConnection, type Socket } from 'node:net';
import { encodeFrame, type Frame, FrameReader } from './frames.ts';
import {
  clientProof,
  freshNonce,
  parseNonce,
  proofMatches,
  protocolVersion,
  signerProof,
} from './handshake.ts';
import { SignerProtocolError, SignerUnavailableError } from './signer-errors.ts';

interface Pending {
  resolve(frame: Frame): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One authenticated connection to the signer. Requests carry ids, so any number pipeline over
 * it and answers may come back in any order; each has its own timeout. When the connection
 * ends, every request still waiting fails with `SignerUnavailableError`.
 */
export class SignerConnection {
  readonly #socket: Socket;
  readonly #reader: FrameReader;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  readonly #onClose: () => void;

  private constructor(socket: Socket, reader: FrameReader, onClose: () => void) {
    this.#socket = socket;
    this.#reader = reader;
    this.#onClose = onClose;
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.#reader.push(chunk);
      } catch {
        this.#end(new SignerUnavailableError('the signer broke the protocol'));
        return;
      }
      for (const frame of frames) this.#onFrame(frame);
    });
    socket.on('close', () => this.#end(new SignerUnavailableError('the signer connection closed')));
    socket.on('error', () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Connects to `socketPath` and completes the handshake (handshake.ts) within `timeoutMs`:
   * proves the secret, then checks the signer proves it too.
   */
  static connect(
    socketPath: string,
    secret: Uint8Array,
    timeoutMs: number,
    onClose: () => void,
  ): Promise<SignerConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const reader = new FrameReader();
      const clientNonce = freshNonce();
      let step: 'challenge' | 'welcome' = 'challenge';
      const fail = (message: string) => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        socket.destroy();
        reject(new SignerUnavailableError(message));
      };
      const timer = setTimeout(
        () => fail('the signer did not complete the handshake in time'),
        timeoutMs,
      );
      socket.once('error', (error: NodeJS.ErrnoException) =>
        fail(`cannot reach the signer (${error.code ?? 'error'})`),
      );
      socket.once('close', () => fail('the signer closed the connection during the handshake'));
      const onData = (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = reader.push(chunk);
        } catch (error) {
          if (error instanceof SignerProtocolError) fail('the signer broke the protocol');
          return;
        }
        for (const [index, { header }] of frames.entries()) {
          if (step === 'challenge') {
            const signerNonce = parseNonce(header.nonce);
            if (
              header.type !== 'challenge' ||
              header.protocol !== protocolVersion ||
              signerNonce === undefined
            ) {
              fail('the signer speaks another protocol');
              return;
            }
            socket.write(
              encodeFrame({
                type: 'hello',
                proof: clientProof(secret, signerNonce).toString('base64url'),
                nonce: clientNonce.toString('base64url'),
              }),
            );
            step = 'welcome';
          } else {
            if (header.type === 'refused') {
              fail(
                'the signer refused the handshake (do both sides read the same WRIT_SIGNER_SECRET_FILE?)',
              );
              return;
            }
            if (
              header.type !== 'welcome' ||
              !proofMatches(signerProof(secret, clientNonce), header.proof)
            ) {
              // Something listens on the path but does not hold the secret: not our signer.
              fail('the process on the signer socket failed to prove it holds the secret');
              return;
            }
            if (index !== frames.length - 1) {
              fail('the signer sent frames before the handshake completed');
              return;
            }
            clearTimeout(timer);
            socket.removeAllListeners('data');
            socket.removeAllListeners('close');
            socket.removeAllListeners('error');
            resolve(new SignerConnection(socket, reader, onClose));
            return;
          }
        }
      };
      socket.on('data', onData);
    });
  }

  /** Sends one request; resolves with the answer frame, or fails after `timeoutMs`. */
  request(
    header: Record<string, unknown>,
    body: Uint8Array | undefined,
    timeoutMs: number,
  ): Promise<Frame> {
    if (this.#closed)
      return Promise.reject(new SignerUnavailableError('the signer connection closed'));
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) % Number.MAX_SAFE_INTEGER;
    const frame = encodeFrame({ ...header, type: 'request', id }, body);
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignerUnavailableError(`the signer did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#end(new SignerUnavailableError('the signer connection was closed'));
  }

  #onFrame(frame: Frame): void {
    const { id } = frame.header;
    if (frame.header.type !== 'response' || typeof id !== 'number') {
      // protocol_error (we sent a bad frame) or anything unexpected: this connection is done.
      this.#end(new SignerUnavailableError('the signer ended the connection'));
      return;
    }
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // timed out already
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(frame);
  }

  #end(error: SignerUnavailableError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
    this.#onClose();
  }
}
