/** One dispatched Server-Sent Event. */
export interface SseEvent {
  /** The last `id:` seen on the stream so far (it carries over to later events), or `''`. */
  readonly id: string;
  /** `event:` of this event, `'message'` when it named none. */
  readonly event: string;
  /** Its `data:` lines joined with `\n`. */
  readonly data: string;
}

/** The stream broke the format or a limit; the connection it came from cannot be trusted further. */
export class SseFormatError extends Error {
  override readonly name = 'SseFormatError';
}

const lineFeed = 0x0a;
const carriageReturn = 0x0d;

/**
 * Incremental parser for a `text/event-stream` body (HTML Living Standard §9.2.6), fed raw bytes
 * as they arrive: chunk boundaries may fall anywhere, including inside a UTF-8 sequence or between
 * the CR and LF of a line ending. `retry:` is ignored (the mirror owns its backoff).
 *
 * What one event may buffer is capped, so a server that never ends a line cannot exhaust memory.
 */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #maxEventChars: number;
  /** The unfinished line at the end of the last chunk. */
  #partial = '';
  /** The last chunk ended with CR, so an LF starting the next one belongs to that line ending. */
  #skipLeadingLf = false;
  #lastEventId = '';
  #eventType = '';
  #data = '';
  #hasData = false;

  constructor(maxEventChars = 1024 * 1024) {
    this.#maxEventChars = maxEventChars;
  }

  /** Feeds the next bytes and returns the events they complete, in order. */
  push(chunk: Uint8Array): SseEvent[] {
    let text: string;
    try {
      text = this.#decoder.decode(chunk, { stream: true });
    } catch (cause) {
      throw new SseFormatError('event stream is not valid UTF-8', { cause });
    }
    const events: SseEvent[] = [];
    if (text === '') return events;
    let start = 0;
    if (this.#skipLeadingLf && text.charCodeAt(0) === lineFeed) start = 1;
    this.#skipLeadingLf = false;
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== lineFeed && code !== carriageReturn) continue;
      const line =
        this.#partial === '' ? text.slice(start, i) : this.#partial + text.slice(start, i);
      this.#partial = '';
      this.#line(line, events);
      if (code === carriageReturn) {
        if (i + 1 === text.length) this.#skipLeadingLf = true;
        else if (text.charCodeAt(i + 1) === lineFeed) i++;
      }
      start = i + 1;
    }
    this.#partial += text.slice(start);
    if (this.#partial.length + this.#data.length > this.#maxEventChars) {
      throw new SseFormatError(`event exceeds ${this.#maxEventChars} characters`);
    }
    return events;
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === '') {
      this.#dispatch(events);
      return;
    }
    if (line.charCodeAt(0) === 0x3a) return; // ':' starts a comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data = this.#hasData ? `${this.#data}\n${value}` : value;
        this.#hasData = true;
        if (this.#data.length > this.#maxEventChars) {
          throw new SseFormatError(`event exceeds ${this.#maxEventChars} characters`);
        }
        break;
      case 'event':
        this.#eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      default:
      // `retry` and unknown fields are ignored, as the standard requires.
    }
  }

  #dispatch(events: SseEvent[]): void {
    // An event without data lines is not dispatched, but its `event:` still ends here.
    if (this.#hasData) {
      events.push({ id: this.#lastEventId, event: this.#eventType || 'message', data: this.#data });
    }
    this.#eventType = '';
    this.#data = '';
    this.#hasData = false;
  }
}
