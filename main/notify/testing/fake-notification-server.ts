/**
 * A tiny org.freedesktop.Notifications server speaking the D-Bus wire protocol directly (no
 * python-dbus, no GLib bindings needed), for tests on a private session bus. It owns the name,
 * answers Notify / GetCapabilities / GetServerInformation like a real notification daemon
 * (without one, notify-send fails with ServiceUnknown before any Notify is sent) and records the
 * notifications it received.
 *
 * Only what that needs is implemented: SASL EXTERNAL auth, Hello, RequestName, little- and
 * big-endian message parsing of the basic types in headers, and the first five Notify arguments.
 */
import { type Socket, createConnection } from 'node:net';

export interface ReceivedNotification {
  appName: string;
  replacesId: number;
  icon: string;
  summary: string;
  body: string;
  /** The caller's unique bus name. */
  sender: string;
}

const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
type MessageType = (typeof MessageType)[keyof typeof MessageType];

const Field = {
  Path: 1,
  Interface: 2,
  Member: 3,
  ErrorName: 4,
  ReplySerial: 5,
  Destination: 6,
  Sender: 7,
  Signature: 8,
} as const;
type Field = (typeof Field)[keyof typeof Field];

const NO_REPLY_EXPECTED = 0x1;

interface Message {
  type: number;
  flags: number;
  serial: number;
  fields: Map<number, string | number>;
  body: Buffer;
  littleEndian: boolean;
}

/** Marshals little-endian D-Bus data; alignment is relative to the start of the buffer. */
class Writer {
  private bytes: number[] = [];

  get length(): number {
    return this.bytes.length;
  }

  align(n: number): void {
    while (this.bytes.length % n !== 0) this.bytes.push(0);
  }

  byte(v: number): void {
    this.bytes.push(v & 0xff);
  }

  u32(v: number): void {
    this.align(4);
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  patchU32(at: number, v: number): void {
    this.bytes[at] = v & 0xff;
    this.bytes[at + 1] = (v >>> 8) & 0xff;
    this.bytes[at + 2] = (v >>> 16) & 0xff;
    this.bytes[at + 3] = (v >>> 24) & 0xff;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u32(b.length);
    for (const x of b) this.bytes.push(x);
    this.bytes.push(0);
  }

  signature(s: string): void {
    const b = Buffer.from(s, 'ascii');
    this.byte(b.length);
    for (const x of b) this.bytes.push(x);
    this.bytes.push(0);
  }

  /** An array of strings (`as`). */
  stringArray(items: readonly string[]): void {
    this.u32(0);
    const lengthAt = this.bytes.length - 4;
    const start = this.bytes.length;
    for (const s of items) this.string(s);
    this.patchU32(lengthAt, this.bytes.length - start);
  }

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

class Reader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly le: boolean,
  ) {}

  align(n: number): void {
    this.pos = Math.ceil(this.pos / n) * n;
  }

  byte(): number {
    return this.buf.readUInt8(this.pos++);
  }

  u32(): number {
    this.align(4);
    const v = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  string(): string {
    const len = this.u32();
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len + 1;
    return s;
  }

  signature(): string {
    const len = this.byte();
    const s = this.buf.toString('ascii', this.pos, this.pos + len);
    this.pos += len + 1;
    return s;
  }
}

function buildMessage(
  type: MessageType,
  serial: number,
  fields: [Field, 's' | 'o' | 'u' | 'g', string | number][],
  bodySignature = '',
  writeBody?: (w: Writer) => void,
  flags = 0,
): Buffer {
  const body = new Writer();
  writeBody?.(body);
  const all = bodySignature
    ? [...fields, [Field.Signature, 'g', bodySignature] as [Field, 'g', string]]
    : fields;
  const h = new Writer();
  h.byte('l'.charCodeAt(0));
  h.byte(type);
  h.byte(flags);
  h.byte(1);
  h.u32(body.length);
  h.u32(serial);
  h.u32(0);
  const lengthAt = h.length - 4;
  const start = h.length;
  for (const [code, sig, value] of all) {
    h.align(8);
    h.byte(code);
    h.signature(sig);
    if (sig === 'u') h.u32(value as number);
    else if (sig === 'g') h.signature(value as string);
    else h.string(value as string);
  }
  h.patchU32(lengthAt, h.length - start);
  h.align(8);
  return Buffer.concat([h.buffer(), body.buffer()]);
}

/** Parses one complete message at the start of buf, or returns null when more bytes are needed. */
function parseMessage(buf: Buffer): { message: Message; size: number } | null {
  if (buf.length < 16) return null;
  const le = buf[0] === 'l'.charCodeAt(0);
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const bodyLength = u32(4);
  const fieldsLength = u32(12);
  const headerEnd = Math.ceil((16 + fieldsLength) / 8) * 8;
  const size = headerEnd + bodyLength;
  if (buf.length < size) return null;
  const r = new Reader(buf.subarray(0, headerEnd), le);
  r.pos = 16;
  const fields = new Map<number, string | number>();
  while (r.pos < 16 + fieldsLength) {
    r.align(8);
    const code = r.byte();
    const sig = r.signature();
    let value: string | number;
    if (sig === 'u') value = r.u32();
    else if (sig === 'g') value = r.signature();
    else if (sig === 's' || sig === 'o') value = r.string();
    else throw new Error(`unexpected header field signature ${sig}`);
    fields.set(code, value);
  }
  return {
    message: {
      type: buf[1]!,
      flags: buf[2]!,
      serial: u32(8),
      fields,
      body: Buffer.from(buf.subarray(headerEnd, size)),
      littleEndian: le,
    },
    size,
  };
}

/** `unix:path=/x` or `unix:abstract=x` (the first such entry of a D-Bus address). */
export function socketPathOf(address: string): string {
  for (const entry of address.split(';')) {
    if (!entry.startsWith('unix:')) continue;
    const params = new Map(
      entry
        .slice(5)
        .split(',')
        .map((kv) => kv.split('=', 2) as [string, string]),
    );
    const unescape = (s: string) =>
      s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    const path = params.get('path');
    if (path) return unescape(path);
    const abstract = params.get('abstract');
    if (abstract) return `\0${unescape(abstract)}`;
  }
  throw new Error(`no unix socket in D-Bus address ${address}`);
}

export class FakeNotificationServer {
  readonly received: ReceivedNotification[] = [];
  /** Every method called on us, as `interface.member`. */
  readonly calls: string[] = [];
  private serial = 0;
  private nextId = 1;
  private pending = new Map<number, (m: Message) => void>();
  private listeners: (() => void)[] = [];
  private input = Buffer.alloc(0);
  uniqueName = '';

  private constructor(private readonly socket: Socket) {}

  /** Connects to the bus, authenticates and takes org.freedesktop.Notifications. */
  static async start(address: string, timeoutMs = 5000): Promise<FakeNotificationServer> {
    const socket = createConnection(socketPathOf(address));
    const server = new FakeNotificationServer(socket);
    const timer = setTimeout(
      () => socket.destroy(new Error('D-Bus handshake timed out')),
      timeoutMs,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      await server.authenticate();
      socket.on('data', (chunk: Buffer) => server.onData(chunk));
      socket.on('error', () => undefined);
      const hello = await server.call(
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'Hello',
      );
      server.uniqueName = new Reader(hello.body, hello.littleEndian).string();
      const reply = await server.call(
        'org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus',
        'RequestName',
        'su',
        (w) => {
          w.string('org.freedesktop.Notifications');
          w.u32(4); // DBUS_NAME_FLAG_DO_NOT_QUEUE
        },
      );
      if (reply.type === MessageType.Error)
        throw new Error(`RequestName failed: ${String(reply.fields.get(Field.ErrorName))}`);
      const result = new Reader(reply.body, reply.littleEndian).u32();
      if (result !== 1)
        throw new Error(
          `could not own org.freedesktop.Notifications (RequestName answered ${result})`,
        );
      return server;
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves with the first received notification matching the predicate. */
  waitFor(
    predicate: (n: ReceivedNotification) => boolean,
    timeoutMs: number,
  ): Promise<ReceivedNotification> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.received.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(found);
        return true;
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(
          new Error(
            `no matching notification within ${timeoutMs} ms; received: ${JSON.stringify(this.received)}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.listeners.push(listener);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private authenticate(): Promise<void> {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
    const hexUid = Buffer.from(String(uid), 'ascii').toString('hex');
    return new Promise((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('ascii');
        if (!text.includes('\r\n')) return;
        this.socket.off('data', onData);
        if (text.startsWith('OK ')) {
          this.socket.write('BEGIN\r\n');
          resolve();
        } else reject(new Error(`D-Bus authentication failed: ${text.trim()}`));
      };
      this.socket.on('data', onData);
      this.socket.write(`\0AUTH EXTERNAL ${hexUid}\r\n`);
    });
  }

  private call(
    destination: string,
    path: string,
    iface: string,
    member: string,
    signature = '',
    writeBody?: (w: Writer) => void,
  ): Promise<Message> {
    const serial = ++this.serial;
    const message = buildMessage(
      MessageType.MethodCall,
      serial,
      [
        [Field.Path, 'o', path],
        [Field.Destination, 's', destination],
        [Field.Interface, 's', iface],
        [Field.Member, 's', member],
      ],
      signature,
      writeBody,
    );
    return new Promise((resolve) => {
      this.pending.set(serial, resolve);
      this.socket.write(message);
    });
  }

  private onData(chunk: Buffer): void {
    this.input = Buffer.concat([this.input, chunk]);
    for (;;) {
      const parsed = parseMessage(this.input);
      if (!parsed) return;
      this.input = this.input.subarray(parsed.size);
      this.onMessage(parsed.message);
    }
  }

  private onMessage(m: Message): void {
    if (m.type === MessageType.MethodReturn || m.type === MessageType.Error) {
      const replyTo = m.fields.get(Field.ReplySerial) as number | undefined;
      const resolve = replyTo !== undefined ? this.pending.get(replyTo) : undefined;
      if (resolve) {
        this.pending.delete(replyTo!);
        resolve(m);
      }
      return;
    }
    if (m.type !== MessageType.MethodCall) return;
    const sender = String(m.fields.get(Field.Sender) ?? '');
    const iface = String(m.fields.get(Field.Interface) ?? '');
    const member = String(m.fields.get(Field.Member) ?? '');
    this.calls.push(`${iface}.${member}`);
    const wantsReply = (m.flags & NO_REPLY_EXPECTED) === 0;
    const reply = (signature: string, writeBody: (w: Writer) => void) => {
      if (!wantsReply) return;
      this.socket.write(
        buildMessage(
          MessageType.MethodReturn,
          ++this.serial,
          [
            [Field.ReplySerial, 'u', m.serial],
            [Field.Destination, 's', sender],
          ],
          signature,
          writeBody,
        ),
      );
    };
    if (iface === 'org.freedesktop.Notifications' || iface === '') {
      if (member === 'Notify') {
        const r = new Reader(m.body, m.littleEndian);
        const notification: ReceivedNotification = {
          appName: r.string(),
          replacesId: r.u32(),
          icon: r.string(),
          summary: r.string(),
          body: r.string(),
          sender,
        };
        const id = this.nextId++;
        this.received.push(notification);
        reply('u', (w) => w.u32(id));
        for (const l of [...this.listeners]) l();
        return;
      }
      if (member === 'GetCapabilities') {
        reply('as', (w) => w.stringArray(['body']));
        return;
      }
      if (member === 'GetServerInformation') {
        reply('ssss', (w) => {
          w.string('nut-sentinel-test');
          w.string('NUT Sentinel');
          w.string('1.0');
          w.string('1.2');
        });
        return;
      }
      if (member === 'CloseNotification') {
        reply('', () => undefined);
        return;
      }
    }
    if (!wantsReply) return;
    this.socket.write(
      buildMessage(
        MessageType.Error,
        ++this.serial,
        [
          [Field.ReplySerial, 'u', m.serial],
          [Field.Destination, 's', sender],
          [Field.ErrorName, 's', 'org.freedesktop.DBus.Error.UnknownMethod'],
        ],
        's',
        (w) => w.string(`No such method ${iface}.${member}`),
      ),
    );
  }
}
