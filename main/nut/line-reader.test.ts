import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_LENGTH, LineReader, type ReaderEvent } from './line-reader.js';
import { ListReplyCollector, tokenizeDetailed } from './protocol.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

function lines(events: ReaderEvent[]): string[] {
  return events.map((event) => (event.kind === 'line' ? event.text : `<too-long ${event.limit}>`));
}

describe('LineReader', () => {
  it('splits on LF across arbitrary chunk boundaries and strips a CR before LF', () => {
    const reader = new LineReader();
    expect(lines(reader.push(bytes('VAR dummy ups.status "O')))).toEqual([]);
    expect(reader.bufferedBytes).toBe(23);
    expect(lines(reader.push(bytes('L"\r\nBEGIN LIST UPS\nUPS a "b"\n\nEND')))).toEqual([
      'VAR dummy ups.status "OL"',
      'BEGIN LIST UPS',
      'UPS a "b"',
      '',
    ]);
    expect(reader.hasPartialLine).toBe(true);
    expect(lines(reader.push(bytes(' LIST UPS\n')))).toEqual(['END LIST UPS']);
    expect(reader.hasPartialLine).toBe(false);
  });

  it('only strips the CR directly before LF', () => {
    const reader = new LineReader();
    expect(lines(reader.push(bytes('a\rb\r\r\n')))).toEqual(['a\rb\r']);
  });

  it('decodes non-ASCII bytes as latin1 and counts them', () => {
    const reader = new LineReader();
    const [event] = reader.push(
      Buffer.from([0x56, 0x41, 0x52, 0x20, 0xc3, 0xa4, 0x01, 0x09, 0x0a]),
    );
    expect(event).toEqual({ kind: 'line', text: 'VAR \u00c3\u00a4\u0001\t', nonPrintableBytes: 3 });
  });

  it('refuses an over-long line as soon as the limit is crossed, then resynchronizes at the next LF', () => {
    const reader = new LineReader({ maxLineLength: 8 });
    expect(lines(reader.push(bytes('12345678\n')))).toEqual(['12345678']);
    expect(lines(reader.push(bytes('1234')))).toEqual([]);
    expect(lines(reader.push(bytes('56789')))).toEqual(['<too-long 8>']);
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.hasPartialLine).toBe(true);
    expect(lines(reader.push(bytes('more garbage without end')))).toEqual([]);
    expect(lines(reader.push(bytes('...\nOK\n')))).toEqual(['OK']);
  });

  it('counts a CR against the limit (it could not know an LF follows)', () => {
    const reader = new LineReader({ maxLineLength: 3 });
    expect(lines(reader.push(bytes('abc\r\nab\r\n')))).toEqual(['<too-long 3>', 'ab']);
  });

  it('defaults to 4096 bytes and rejects nonsense limits', () => {
    expect(new LineReader().maxLineLength).toBe(DEFAULT_MAX_LINE_LENGTH);
    expect(() => new LineReader({ maxLineLength: 0 })).toThrow(RangeError);
  });

  it('reset forgets a partial line', () => {
    const reader = new LineReader();
    reader.push(bytes('partial'));
    reader.reset();
    expect(lines(reader.push(bytes('OK\n')))).toEqual(['OK']);
  });
});

/** Splits `data` at the given cut points (sorted, deduplicated, within range). */
function chunk(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks;
}

/** What the reader must produce, computed the simple way from the whole stream. */
function referenceLines(data: Uint8Array, limit: number): string[] {
  const text = Buffer.from(data).toString('latin1');
  const parts = text.split('\n');
  const tail = parts.pop()!; // an unterminated tail is not a line...
  const expected = parts.map((part) =>
    part.length > limit ? `<too-long ${limit}>` : part.replace(/\r$/, ''),
  );
  // ...but one already past the limit is refused without waiting for its LF.
  if (tail.length > limit) expected.push(`<too-long ${limit}>`);
  return expected;
}

describe('LineReader properties', () => {
  // Bytes biased towards LF/CR/quotes so that lines, CRs and NUT-ish syntax are frequent.
  const streamByte = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }) },
    { weight: 2, arbitrary: fc.constant(0x0a) },
    { weight: 1, arbitrary: fc.constantFrom(0x0d, 0x22, 0x5c, 0x23, 0x20) },
  );
  const stream = fc.array(streamByte, { maxLength: 600 }).map((values) => Uint8Array.from(values));

  it('random chunking yields exactly the reference lines, never throws and never buffers past the limit', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 1, max: 64 }),
        (data, cuts, limit) => {
          const reader = new LineReader({ maxLineLength: limit });
          const produced: string[] = [];
          for (const piece of chunk(data, cuts)) {
            produced.push(...lines(reader.push(piece)));
            expect(reader.bufferedBytes).toBeLessThanOrEqual(limit);
          }
          expect(produced).toEqual(referenceLines(data, limit));
        },
      ),
    );
  });

  it('a huge line without LF is refused once with bounded memory', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 512 }),
        (limit, pieceSize) => {
          const reader = new LineReader({ maxLineLength: limit });
          const piece = new Uint8Array(pieceSize).fill(0x41);
          let refusals = 0;
          for (let sent = 0; sent < limit * 3 + pieceSize; sent += pieceSize) {
            refusals += reader.push(piece).filter((event) => event.kind === 'too-long').length;
            if (reader.bufferedBytes > limit)
              throw new Error(`buffered ${reader.bufferedBytes} > ${limit}`);
          }
          expect(refusals).toBe(1);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reader + tokenizer + LIST collector never throw on random streams', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), (data, cuts) => {
        const reader = new LineReader({ maxLineLength: 512 });
        let collector = new ListReplyCollector(['VAR', 'dummy']);
        for (const piece of chunk(data, cuts)) {
          for (const event of reader.push(piece)) {
            if (event.kind !== 'line') continue;
            const { words } = tokenizeDetailed(event.text);
            const step = collector.accept(words);
            if (step.status !== 'continue') collector = new ListReplyCollector(['VAR', 'dummy']);
          }
        }
      }),
    );
  });
});
