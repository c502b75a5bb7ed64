/**
 * A private mosquitto broker (Debian package) for tests, on a free loopback port: plain and
 * anonymous, or TLS (a CA and server certificate made with openssl) plus a password file made
 * with mosquitto_passwd. Started under setpriv --pdeathsig like the upsd rig; always `stop()`.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { canConnect, getFreePort, waitFor } from './net';
import { makeServerCertificates } from './openssl-certs';
import { ManagedProcess, makeTempDir, removeTempDir } from './upsd-rig';

const run = promisify(execFile);

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Broker {
  readonly port: number;
  readonly url: string;
  /** PEM of the CA that signed the server certificate (TLS brokers). */
  readonly caPem: string | undefined;
  readonly user: { username: string; password: string } | undefined;
  logs(): string;
  /** A client for the test itself (subscribes, reads retained messages). */
  client(options?: IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

export async function startBroker(
  options: {
    tls?: boolean;
    user?: { username: string; password: string };
    /** A port to listen on (a broker started again where a stopped one was); default: a free one. */
    port?: number;
  } = {},
): Promise<Broker> {
  const dir = await makeTempDir('mosquitto');
  const port = options.port ?? (await getFreePort());
  const lines = [
    `listener ${port} 127.0.0.1`,
    'persistence false',
    'log_dest stdout',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'user root',
  ];
  let caPem: string | undefined;
  if (options.tls) {
    const certs = await makeServerCertificates(dir);
    caPem = certs.caPem;
    lines.push(`cafile ${certs.caFile}`, `certfile ${certs.certFile}`, `keyfile ${certs.keyFile}`);
  }
  if (options.user) {
    const passwd = path.join(dir, 'passwd');
    await run(
      'mosquitto_passwd',
      ['-b', '-c', passwd, options.user.username, options.user.password],
      { timeout: 10_000 },
    );
    lines.push('allow_anonymous false', `password_file ${passwd}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = path.join(dir, 'mosquitto.conf');
  await writeFile(conf, `${lines.join('\n')}\n`);
  const output: string[] = [];
  const proc = new ManagedProcess('mosquitto', MOSQUITTO, ['-c', conf], {
    env: process.env,
    sink: (_l, line) => output.push(line),
  });
  try {
    await waitFor(() => canConnect('127.0.0.1', port), { timeoutMs: 10_000 });
  } catch (error) {
    await proc.stop();
    throw new Error(`mosquitto did not start: ${output.join('\n')}`, { cause: error });
  }
  const clients: MqttClient[] = [];
  const url = `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`;
  return {
    port,
    url,
    caPem,
    user: options.user,
    logs: () => output.join('\n'),
    async client(extra: IClientOptions = {}) {
      const c = await mqtt.connectAsync(url, {
        reconnectPeriod: 0,
        ...(options.user
          ? { username: options.user.username, password: options.user.password }
          : {}),
        ...(caPem ? { ca: caPem } : {}),
        ...extra,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await proc.stop();
      await removeTempDir(dir);
    },
  };
}

/** Collects every message on `filter` (retained ones included) in order; `last(topic)` is the newest payload. */
export async function collect(
  client: MqttClient,
  filter: string | string[],
): Promise<{
  messages: { topic: string; payload: string; retain: boolean }[];
  last(topic: string): string | undefined;
}> {
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString(), retain: packet.retain }),
  );
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    messages,
    last: (topic) => messages.filter((m) => m.topic === topic).at(-1)?.payload,
  };
}
