/**
 * Framing on the control channel: the bridge's JSON messages (shared/ipc.ts), one per line.
 * JSON.stringify never writes a raw newline, so a line is always one whole message.
 */
import type { Socket } from 'node:net';

/** The largest line accepted (import requests carry two config files of ≤ 1.5 MiB each). */
export const MAX_CONTROL_LINE_BYTES = 4 * 1024 * 1024;
/** A peer that does not read its messages is dropped past this much unsent output. */
export const MAX_CONTROL_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Calls `onLine` with each complete line; `onOverflow` once when a line grows past the limit. */
export function readLines(
  socket: Socket,
  onLine: (line: string) => void,
  onOverflow: () => void,
  maxBytes = MAX_CONTROL_LINE_BYTES,
): void {
  let buffered = '';
  let overflowed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (overflowed) return;
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim().length > 0) onLine(line);
      newline = buffered.indexOf('\n');
    }
    if (Buffer.byteLength(buffered) > maxBytes) {
      overflowed = true;
      buffered = '';
      onOverflow();
    }
  });
}

/** Writes one message; false (and the socket destroyed) when the peer has stopped reading. */
export function writeMessage(socket: Socket, message: unknown): boolean {
  if (socket.destroyed || !socket.writable) return false;
  if (socket.writableLength > MAX_CONTROL_BUFFERED_BYTES) {
    socket.destroy();
    return false;
  }
  socket.write(`${JSON.stringify(message)}\n`);
  return true;
}
