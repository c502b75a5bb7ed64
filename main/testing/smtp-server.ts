/**
 * A real SMTP server for tests: aiosmtpd (Debian python3-aiosmtpd) with STARTTLS required and
 * AUTH after STARTTLS (main/testing/smtp-server.py), on a free loopback port. Each accepted mail
 * is parsed enough for assertions (headers, decoded text and HTML parts). Always `stop()`.
 */
import path from 'node:path';
import { getFreePort, waitFor } from './net';
import { makeServerCertificates } from './openssl-certs';
import { ManagedProcess, makeTempDir, removeTempDir } from './upsd-rig';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The session had switched to TLS before DATA. */
  tls: boolean;
  /** The client had logged in (AUTH) before sending. */
  authenticated: boolean;
  /** The raw message with quoted-printable soft breaks and escapes decoded (for text assertions). */
  decoded: string;
  raw: string;
  header(name: string): string | undefined;
}

export interface SmtpServer {
  readonly port: number;
  readonly caPem: string;
  readonly mails: ReceivedMail[];
  logs(): string;
  stop(): Promise<void>;
}

function parseMail(raw: string): (name: string) => string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  return (name) =>
    unfolded
      .split(/\r?\n/)
      .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim();
}

export async function startSmtpServer(user: {
  username: string;
  password: string;
}): Promise<SmtpServer> {
  const dir = await makeTempDir('smtp');
  const certs = await makeServerCertificates(dir);
  const port = await getFreePort();
  const mails: ReceivedMail[] = [];
  const output: string[] = [];
  let ready = false;
  const script = path.join(import.meta.dirname, 'smtp-server.py');
  const proc = new ManagedProcess(
    'aiosmtpd',
    '/usr/bin/python3',
    [script, String(port), certs.certFile, certs.keyFile, user.username, user.password],
    {
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
      sink: (_label, line) => {
        if (line === 'READY') ready = true;
        else if (line.startsWith('{')) {
          const m = JSON.parse(line) as {
            from: string;
            to: string[];
            tls: boolean;
            authenticated: boolean;
            data: string;
          };
          const raw = Buffer.from(m.data, 'base64').toString('utf8');
          const decoded = Buffer.from(
            raw
              .replace(/=\r?\n/g, '')
              .replace(/=([0-9A-F]{2})/g, (_x, hex: string) =>
                String.fromCharCode(parseInt(hex, 16)),
              ),
            'latin1',
          ).toString('utf8');
          mails.push({
            from: m.from,
            to: m.to,
            tls: m.tls,
            authenticated: m.authenticated,
            raw,
            decoded,
            header: parseMail(raw),
          });
        } else output.push(line);
      },
    },
  );
  try {
    await waitFor(() => ready || !proc.running, { timeoutMs: 15_000 });
    if (!ready) throw new Error('exited');
  } catch (error) {
    await proc.stop();
    throw new Error(`aiosmtpd did not start: ${output.join('\n')}`, { cause: error });
  }
  return {
    port,
    caPem: certs.caPem,
    mails,
    logs: () => output.join('\n'),
    async stop() {
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}
