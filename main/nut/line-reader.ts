/**
 * Incremental LF line splitter for the NUT reply stream. TCP (and TLS) deliver arbitrary
 * fragments; this turns them into complete lines without ever holding more than
 * `maxLineLength` bytes: upsd builds replies in a 512-byte buffer, so anything longer is not a
 * NUT server talking (or a corrupted stream) and is refused instead of buffered.
 */

import { DEFAULT_MAX_LINE_LENGTH } from './limits.js';

export { DEFAULT_MAX_LINE_LENGTH };

export interface ReaderLine {
  kind: 'line';
  /** The line without LF and without a CR right before the LF, decoded as latin1 (one char per byte). */
  text: string;
  /** Bytes outside printable ASCII (other than tab/CR) in the line; upsd itself never sends any. */
  nonPrintableBytes: number;
}

export interface ReaderOverflow {
  kind: 'too-long';
  /** The limit that was exceeded, in bytes. */
  limit: number;
}

export type ReaderEvent = ReaderLine | ReaderOverflow;

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;

export class LineReader {
  readonly maxLineLength: number;
  /** Fixed-size storage: the bound on memory is structural, not a check that could be missed. */
  private readonly buffer: Buffer;
  private length = 0;
  /** After an over-long line: drop bytes up to and including the next LF. */
  private discarding = false;

  constructor(options: { maxLineLength?: number } = {}) {
    const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (!Number.isInteger(maxLineLength) || maxLineLength < 1) {
      throw new RangeError(`maxLineLength must be a positive integer, got ${maxLineLength}`);
    }
    this.maxLineLength = maxLineLength;
    this.buffer = Buffer.alloc(maxLineLength);
  }

  /** Bytes of an incomplete line currently held (never more than `maxLineLength`). */
  get bufferedBytes(): number {
    return this.length;
  }

  /** True when bytes of an unfinished line were received (or are being discarded). */
  get hasPartialLine(): boolean {
    return this.length > 0 || this.discarding;
  }

  /**
   * Feeds one chunk and returns the events it completes, in order. The limit counts the bytes
   * before the LF (a CR included). An over-long line yields one `too-long` event as soon as the
   * limit is crossed (not when its LF finally arrives); its remaining bytes are skipped.
   */
  push(chunk: Uint8Array): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf === -1 ? chunk.length : lf;
      if (this.discarding) {
        if (lf === -1) break;
        this.discarding = false;
        start = lf + 1;
        continue;
      }
      const segmentLength = end - start;
      if (this.length + segmentLength > this.maxLineLength) {
        events.push({ kind: 'too-long', limit: this.maxLineLength });
        this.length = 0;
        if (lf === -1) {
          this.discarding = true;
          break;
        }
        start = lf + 1;
        continue;
      }
      this.buffer.set(chunk.subarray(start, end), this.length);
      this.length += segmentLength;
      if (lf === -1) break;
      events.push(this.takeLine());
      start = lf + 1;
    }
    return events;
  }

  /** Forgets any partial line (e.g. before the stream switches to TLS). */
  reset(): void {
    this.length = 0;
    this.discarding = false;
  }

  private takeLine(): ReaderLine {
    let end = this.length;
    if (end > 0 && this.buffer[end - 1] === CR) end--;
    let nonPrintableBytes = 0;
    for (let index = 0; index < end; index++) {
      const byte = this.buffer[index]!;
      if ((byte < 0x20 && byte !== TAB && byte !== CR) || byte > 0x7e) nonPrintableBytes++;
    }
    const text = this.buffer.toString('latin1', 0, end);
    this.length = 0;
    return { kind: 'line', text, nonPrintableBytes };
  }
}
