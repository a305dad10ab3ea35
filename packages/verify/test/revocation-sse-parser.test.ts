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
    [
      { id: '', event: 'message', data: 'a' },
      { id: '', event: 'message', data: 'b' },
      { id: '', event: 'message', data: 'c' },
    ],
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
    [{ id: '', event: 'message', data: 'tight\n spaced' }],
  ],
  [
    'a field name alone is a field with an empty value',
    'data\ndata\n\n',
    [{ id: '', event: 'message', data: '\n' }],
  ],
  [
    'an event without data is not dispatched and its type does not leak into the next',
    'event: heartbeat\n\ndata: x\n\n',
    [{ id: '', event: 'message', data: 'x' }],
  ],
  [
    'the last id carries over; an id holding NUL is ignored',
    'id: 5\ndata: a\n\ndata: b\n\nid: 6\u0000\ndata: c\n\nid\ndata: d\n\n',
    [
      { id: '5', event: 'message', data: 'a' },
      { id: '5', event: 'message', data: 'b' },
      { id: '5', event: 'message', data: 'c' },
      { id: '', event: 'message', data: 'd' },
    ],
  ],
  [
    'retry and unknown fields are ignored',
    'retry: 10\nfoo: bar\nevent: revocation\ndata: z\n\n',
    [{ id: '', event: 'revocation', data: 'z' }],
  ],
  [
    'an event cut off by the end of the stream is not dispatched',
    'data: complete\n\nevent: revocation\ndata: partial\n',
    [{ id: '', event: 'message', data: 'complete' }],
  ],
  [
    'multi-byte UTF-8 survives any byte split',
    'data: {"value":"sub_é✓𝄞"}\n\n',
    [{ id: '', event: 'message', data: '{"value":"sub_é✓𝄞"}' }],
  ],
  [
    'a leading byte order mark is dropped',
    '\uFEFFdata: after bom\n\n',
    [{ id: '', event: 'message', data: 'after bom' }],
  ],
  ['a colon in the value is kept', 'data: a: b\n\n', [{ id: '', event: 'message', data: 'a: b' }]],
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
    expect(events).toEqual([
      { id: '', event: 'message', data: 'x' },
      { id: '', event: 'message', data: 'y' },
    ]);
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
