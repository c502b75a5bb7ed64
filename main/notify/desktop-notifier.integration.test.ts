/**
 * Real Linux desktop notification path: our NotifierPort → node-notifier → notify-send → a
 * private session D-Bus (dbus-daemon started here) → a notification server (FakeNotificationServer,
 * D-Bus wire protocol in TypeScript). A `dbus-monitor` on the same bus, filtered on
 * org.freedesktop.Notifications.Notify, independently proves the call went over the bus with our
 * title and body. No X display is involved: notify-send only needs DBUS_SESSION_BUS_ADDRESS.
 *
 * Needs (Debian): dbus-daemon, dbus-bin (dbus-monitor), libnotify-bin (notify-send).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDesktopNotifier } from './desktop-notifier';
import { FakeNotificationServer } from './testing/fake-notification-server';

const REQUIRED = [
  ['dbus-daemon', 'dbus-daemon'],
  ['dbus-monitor', 'dbus-bin'],
  ['notify-send', 'libnotify-bin'],
] as const;

function which(program: string): string | null {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(d, program), constants.X_OK);
      return join(d, program);
    } catch {
      // next
    }
  }
  return null;
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

function start(file: string, args: string[]): Started {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return { child, output: () => out };
}

async function until(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startBus(dir: string, name: string): Promise<{ daemon: Started; address: string }> {
  const daemon = start('dbus-daemon', [
    '--session',
    '--nofork',
    '--nosyslog',
    '--print-address=1',
    `--address=unix:path=${join(dir, name)}`,
  ]);
  await until(
    'dbus-daemon to print its address',
    () => daemon.output().includes('\n'),
    5000,
    daemon.output,
  );
  const address = daemon.output().split('\n')[0]!.trim();
  if (!address.startsWith('unix:'))
    throw new Error(`dbus-daemon did not start: ${daemon.output()}`);
  return { daemon, address };
}

const stopList: ChildProcess[] = [];
let dir: string;
let savedEnv: { dbus: string | undefined; display: string | undefined };

beforeAll(() => {
  const missing = REQUIRED.filter(([program]) => !which(program));
  if (missing.length > 0) {
    throw new Error(
      `The desktop notification test needs ${missing.map(([p]) => p).join(', ')}: ` +
        `apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`,
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'dbus-notify-'));
  savedEnv = { dbus: process.env.DBUS_SESSION_BUS_ADDRESS, display: process.env.DISPLAY };
});

afterAll(() => {
  for (const child of stopList) child.kill('SIGTERM');
  if (savedEnv.dbus === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
  else process.env.DBUS_SESSION_BUS_ADDRESS = savedEnv.dbus;
  if (savedEnv.display !== undefined) process.env.DISPLAY = savedEnv.display;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('desktop notifier on a real session D-Bus', () => {
  it('delivers title, body and urgency through notify-send as a Notify call', async () => {
    const { daemon, address } = await startBus(dir, 'bus');
    stopList.push(daemon.child);
    const server = await FakeNotificationServer.start(address);
    const monitor = start('dbus-monitor', [
      '--address',
      address,
      "interface='org.freedesktop.Notifications',member='Notify'",
    ]);
    stopList.push(monitor.child);
    // dbus-monitor has become a monitor once it has lost its own name.
    await until(
      'dbus-monitor to become a monitor',
      () => monitor.output().includes('NameLost'),
      5000,
      monitor.output,
    );

    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    delete process.env.DISPLAY;
    try {
      const notifier = createDesktopNotifier({ appName: 'NUT Sentinel Test' });
      const title = 'Battery low';
      // Shell metacharacters must arrive literally (node-notifier runs notify-send through a shell).
      const body = 'UPS ups@nas.lan battery is low: "$HOME" `id` ; echo pwned';
      await notifier.notify({
        key: 'LOWBATT:ups@nas.lan',
        title,
        body,
        urgency: 'critical',
        route: '/ups/nas%2Fups',
      });

      const got = await server.waitFor((n) => n.summary === title, 5000);
      expect(got).toMatchObject({
        summary: title,
        body,
        appName: 'NUT Sentinel Test',
        replacesId: 0,
      });
      expect(server.calls).toContain('org.freedesktop.Notifications.Notify');

      await until(
        'dbus-monitor to show the Notify call',
        () => monitor.output().includes(`string "${body}"`),
        5000,
        monitor.output,
      );
      const text = monitor.output();
      const call = text.slice(text.indexOf('member=Notify'));
      expect(call).toMatch(
        /^member=Notify\n\s+string "NUT Sentinel Test"\n\s+uint32 0\n\s+string ""\n\s+string "Battery low"\n\s+string "UPS ups@nas\.lan battery is low: "\$HOME" `id` ; echo pwned"/,
      );
      // urgency hint: byte 2 = critical.
      expect(call).toMatch(/string "urgency"\s+variant\s+byte 2/);

      // A second, normal notification: urgency 1.
      await notifier.notify({
        key: 'ONBATT:ups@nas.lan',
        title: 'On battery',
        body: 'UPS ups@nas.lan on battery',
        urgency: 'normal',
      });
      await server.waitFor((n) => n.summary === 'On battery', 5000);
      await until(
        'the second Notify',
        () => monitor.output().includes('string "UPS ups@nas.lan on battery"'),
        5000,
        monitor.output,
      );
      const second = monitor.output().slice(monitor.output().lastIndexOf('member=Notify'));
      expect(second).toMatch(/string "urgency"\s+variant\s+byte 1/);
    } finally {
      server.close();
    }
  });

  it('server-supplied text is escaped for the body markup: tags and entities arrive literally', async () => {
    const { daemon, address } = await startBus(dir, 'bus-markup');
    stopList.push(daemon.child);
    const server = await FakeNotificationServer.start(address);
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    delete process.env.DISPLAY;
    try {
      const notifier = createDesktopNotifier();
      // What a hostile or broken master could put in ups.alarm.
      const alarm = `<b>Replace</b> <a href="http://evil.example/">battery</a> <img src="file:///etc/passwd"/> & 'now' &amp;`;
      await notifier.notify({
        key: 'ALARM:ups@nas',
        title: 'UPS alarm <i>x</i>',
        body: `UPS ups@nas alarm: ${alarm}`,
        urgency: 'normal',
      });
      const got = await server.waitFor((n) => n.summary.startsWith('UPS alarm'), 5000);
      expect(got.body).toBe(
        `UPS ups@nas alarm: &lt;b&gt;Replace&lt;/b&gt; &lt;a href="http://evil.example/"&gt;battery&lt;/a&gt; &lt;img src="file:///etc/passwd"/&gt; &amp; 'now' &amp;amp;`,
      );
      expect(got.body).not.toMatch(/<[a-z]/i);
      // The summary is plain text in the spec: left as is.
      expect(got.summary).toBe('UPS alarm <i>x</i>');
    } finally {
      server.close();
    }
  });

  it('rejects with an explanation when no notification server answers', async () => {
    const { daemon, address } = await startBus(dir, 'bus-empty');
    stopList.push(daemon.child);
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    const notifier = createDesktopNotifier();
    await expect(
      notifier.notify({ key: 'k', title: 'nobody listens', body: 'b', urgency: 'low' }),
    ).rejects.toThrow(/no notification server answered on the session D-Bus/);
  });
});
