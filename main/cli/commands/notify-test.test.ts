/**
 * `nut-sentinel notify-test CHANNEL` in-process: a real local HTTP receiver gets the test
 * message; an unknown channel, a refused port and a token stored in the agent's secret store.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelSecretKey } from '../../../shared/channels';
import { FileSecretStore } from '../../platform/file-secret-store';
import { type HttpReceiver, startHttpReceiver } from '../../testing/http-receiver';
import { getFreePort } from '../../testing/net';
import { runCliCaptured } from '../testing';

describe('nut-sentinel notify-test', () => {
  let dir: string;
  let receiver: HttpReceiver;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'notify-test-'));
    receiver = await startHttpReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(channels: unknown[]): Promise<string> {
    const file = path.join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ alerts: { channels } }));
    return file;
  }

  it('sends a test message with the token from the agent’s secret store, and says how long it took', async () => {
    await new FileSecretStore(dir).set(channelSecretKey('phone', 'token'), 'tk_fromstore');
    const config = await writeConfig([
      { id: 'phone', type: 'ntfy', url: receiver.url, topic: 'alerts', token: { source: 'store' } },
    ]);
    const run = await runCliCaptured(['notify-test', 'phone', '--config', config]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Delivered to phone \(ntfy\) in \d+ ms\.\n$/);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.headers.authorization).toBe('Bearer tk_fromstore');
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
      topic: 'alerts',
      title: 'NUT Sentinel test message for phone',
      priority: 3,
    });
  });

  it('explains an unknown channel and a refused port (exit 1), and prints JSON on request', async () => {
    const port = await getFreePort();
    const config = await writeConfig([
      { id: 'hook', type: 'webhook', url: `http://127.0.0.1:${port}/x` },
    ]);
    const unknown = await runCliCaptured(['notify-test', 'nope', '--config', config]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`No alert channel "nope" in ${config} (channels: hook).\n`);
    const refused = await runCliCaptured(['notify-test', 'hook', '--config', config, '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toEqual({
      channel: 'hook',
      ok: false,
      detail: `hook (webhook): 127.0.0.1:${port} refused the connection (is the service running on that port?)`,
    });
  });

  it('a refused MQTT broker is reported once, on stderr, and --json output stays JSON', async () => {
    const port = await getFreePort();
    const config = await writeConfig([{ id: 'ha', type: 'mqtt', url: `mqtt://127.0.0.1:${port}` }]);
    const reason = `ha (mqtt): MQTT broker 127.0.0.1:${port} refused the connection (is the service running on that port?)`;
    const plain = await runCliCaptured(['notify-test', 'ha', '--config', config]);
    expect(plain).toMatchObject({ code: 1, stdout: '', stderr: `${reason}\n` });
    const json = await runCliCaptured(['notify-test', 'ha', '--config', config, '--json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toEqual({ channel: 'ha', ok: false, detail: reason });
  });

  it('a token written into the config file is refused with file, line and reason', async () => {
    const file = path.join(dir, 'config.json');
    await writeFile(
      file,
      '{\n  "alerts": {\n    "channels": [\n      { "id": "g", "type": "gotify", "url": "http://127.0.0.1:1", "token": "AsecretToken" }\n    ]\n  }\n}\n',
    );
    const run = await runCliCaptured(['notify-test', 'g', '--config', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file}:4:`);
    expect(run.stderr).toContain('a password or token must not be written into the config file');
    expect(run.stderr).not.toContain('AsecretToken');
  });
});
