import { describe, expect, it } from 'vitest';
import { type SseEvent, SseFormatError, SseParser } from '../src/revocation/sse-parser.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parseChunks(chunks: readonly Uint8Array[]): SseEvent[] {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
}

/** Every way to cut `all` into two chunks, plus one byte per chunk, plus three uneven cuts. */
function splits(all: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[all]];
  for (let cut = 0; cut <= all.length; cut++) ways.push([all.subarray(0, cut), all.subarray(cut)]);
  ways.push(Array.from(all, (_, i) => all.subarray(i, i + 1)));
  for (let a = 1; a < all.length; a += 3) {
    for (let b = a; b < all.length; b += 5) {
      ways.push([all.subarray(0, a), all.subarray(a, b), all.subarray(b)]);
    }
  }
  return ways;
}

const entry = '{"cursor":43,"target":{"type":"sid","value":"ses_1"}}';

/** What the parser dispatches for an event without an `event:` field. */
const message = (data: string, id = ''): SseEvent => ({ id, event: 'message', data });

const cases: Array<[string, string, SseEvent[]]> = [
  [
    'an entry with id, event and data, LF endings',
    `id: 43\nevent: revocation\ndata: ${entry}\n\n`,
    [{ id: '43', event: 'revocation', data: entry }],
  ],
  [
    'CRLF line endings',
    `id: 43\r\nevent: revocation\r\ndata: ${entry}\r\n\r\n`,
    [{ id: '43', event: 'revocation', data: entry }],
  ],
  [
    'bare CR line endings',
    'event: heartbeat\rdata: {"cursor":1}\r\r',
    [{ id: '', event: 'heartbeat', data: '{"cursor":1}' }],
  ],
  [
    'mixed line endings across events',
    'data: a\r\n\ndata: b\n\r\ndata: c\r\r',
    [message('a'), message('b'), message('c')],
  ],
  [
    'multi-line data joined with LF',
    'event: revocation\ndata: {"cursor":\ndata: 7}\ndata:\n\n',
    [{ id: '', event: 'revocation', data: '{"cursor":\n7}\n' }],
  ],
  [
    'comments anywhere, including a keep-alive between events',
    ': hello\n\nevent: heartbeat\n: inside an event\ndata: 1\n\n:keepalive\n\n',
    [{ id: '', event: 'heartbeat', data: '1' }],
  ],
  [
    'only one space after the colon is removed; none is required',
    'data:tight\ndata:  spaced\n\n',
    [message('tight\n spaced')],
  ],
  ['a field name alone is a field with an empty value', 'data\ndata\n\n', [message('\n')]],
  [
    'an event without data is not dispatched and its type does not leak into the next',
    'event: heartbeat\n\ndata: x\n\n',
    [message('x')],
  ],
  [
    'the last id carries over; an id holding NUL is ignored',
    'id: 5\ndata: a\n\ndata: b\n\nid: 6\u0000\ndata: c\n\nid\ndata: d\n\n',
    [message('a', '5'), message('b', '5'), message('c', '5'), message('d')],
  ],
  [
    'retry and unknown fields are ignored',
    'retry: 10\nfoo: bar\nevent: revocation\ndata: z\n\n',
    [{ id: '', event: 'revocation', data: 'z' }],
  ],
  [
    'an event cut off by the end of the stream is not dispatched',
    'data: complete\n\nevent: revocation\ndata: partial\n',
    [message('complete')],
  ],
  [
    'multi-byte UTF-8 survives any byte split',
    'data: {"value":"sub_é✓𝄞"}\n\n',
    [message('{"value":"sub_é✓𝄞"}')],
  ],
  ['a leading byte order mark is dropped', '\uFEFFdata: after bom\n\n', [message('after bom')]],
  ['a colon in the value is kept', 'data: a: b\n\n', [message('a: b')]],
];

describe('the SSE parser', () => {
  it.each(cases)('reads %s, however the bytes are chunked', (_name, text, expected) => {
    for (const chunks of splits(bytes(text))) {
      expect(parseChunks(chunks), JSON.stringify(chunks.map((c) => c.length))).toEqual(expected);
    }
  });

  it('ignores empty chunks, even right after a CR', () => {
    const parser = new SseParser();
    const events = [
      ...parser.push(bytes('data: x\r')),
      ...parser.push(new Uint8Array()),
      ...parser.push(bytes('\n')),
      ...parser.push(bytes('\ndata: y\n\n')),
    ];
    expect(events).toEqual([message('x'), message('y')]);
  });

  it('refuses bytes that are not UTF-8', () => {
    const parser = new SseParser();
    expect(() => parser.push(Uint8Array.of(0x64, 0x61, 0xff, 0x0a))).toThrow(SseFormatError);
  });

  it('refuses a line that never ends once it passes the cap', () => {
    const parser = new SseParser(64);
    parser.push(bytes(`data: ${'x'.repeat(40)}`));
    expect(() => parser.push(bytes('x'.repeat(40)))).toThrow(SseFormatError);
  });

  it('refuses an event whose data lines add up past the cap', () => {
    const parser = new SseParser(64);
    expect(() => parser.push(bytes(`${'data: 0123456789\n'.repeat(10)}\n`))).toThrow(
      SseFormatError,
    );
  });
});
