/**
 * E-mail through a real SMTP server (aiosmtpd, STARTTLS required, AUTH after STARTTLS) started
 * here: a power cut on the real upsd rig sends the outage mail, the return of power the
 * resolved mail in the same thread; a wrong password is a clear, permanent failure.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../shared/config';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import type { Logger } from '../platform/ports';
import { waitFor } from '../testing/net';
import { type SmtpServer, startSmtpServer } from '../testing/smtp-server';
import {
  type Rig,
  makeTempDir,
  removeTempDir,
  recentBatteryReplacement,
  startUpsdRig,
} from '../testing/upsd-rig';

const quiet: Logger = { log: () => undefined };
const USER = { username: 'alerts@example.net', password: 'smtp-pass-7' };

describe('e-mail alerts through a real SMTP server', () => {
  let rig: Rig | undefined;
  let smtp: SmtpServer | undefined;
  let core: CoreService | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await core?.stop();
    core = undefined;
    await smtp?.stop();
    smtp = undefined;
    await rig?.stop();
    rig = undefined;
    if (dir) await removeTempDir(dir);
    dir = undefined;
  });

  /** A started core with its own temp folder (removed after the test). */
  async function startCore(
    name: string,
    options: { historyInMemory?: boolean } = {},
  ): Promise<CoreService> {
    dir = await makeTempDir(name);
    const started = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets: null,
      notifier: null,
      logger: quiet,
      ...options,
    });
    core = started; // stopped by afterEach even if start() throws
    await started.start();
    return started;
  }

  function config(r: Rig, s: SmtpServer, passwordEnv: string): ConfigInput {
    return {
      masters: [
        {
          id: 'nas',
          label: 'Synology NAS',
          host: '127.0.0.1',
          port: r.port,
          ups: [
            {
              name: 'ups',
              username: 'monuser',
              password: { source: 'env', name: 'NS_TEST_UPS_PASSWORD' },
              messagePrefix: '[home]',
              batteryReplacedOn: recentBatteryReplacement(),
            },
          ],
        },
      ],
      timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
      shutdown: { dryRun: true },
      alerts: {
        channels: [
          {
            id: 'mail',
            type: 'email',
            host: '127.0.0.1',
            port: s.port,
            security: 'starttls',
            username: USER.username,
            password: { source: 'env', name: passwordEnv },
            from: 'NUT Sentinel <alerts@example.net>',
            to: ['admin@example.net'],
            tls: { caPem: s.caPem },
          },
        ],
        incidents: { settleSeconds: 0 },
      },
    };
  }

  it('sends the outage and the resolved mail (text and HTML, one thread) over STARTTLS with AUTH', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    process.env.NS_TEST_SMTP_PASSWORD = USER.password;
    [rig, smtp] = await Promise.all([startUpsdRig(), startSmtpServer(USER)]);
    core = await startCore('email');
    expect(
      await core.handlers['config:save']({ config: config(rig, smtp, 'NS_TEST_SMTP_PASSWORD') }),
    ).toEqual({ ok: true });
    await waitFor(
      () =>
        core!.snapshot().ups[0]?.loggedIn === true &&
        core!.snapshot().ups[0]?.metrics.charge !== null,
      { timeoutMs: 10_000 },
    );

    await rig.setStatus('ups', 'OB');
    await waitFor(() => smtp!.mails.length >= 1, { timeoutMs: 15_000 });
    await rig.setStatus('ups', 'OL');
    await waitFor(() => smtp!.mails.length >= 2, { timeoutMs: 15_000 });

    const [outage, resolved] = smtp.mails;
    for (const mail of [outage!, resolved!]) {
      expect(mail.tls).toBe(true);
      expect(mail.authenticated).toBe(true);
      expect(mail.from).toBe('alerts@example.net');
      expect(mail.to).toEqual(['admin@example.net']);
      expect(mail.header('Content-Type')).toMatch(/multipart\/alternative/);
      expect(mail.decoded).toMatch(/Content-Type: text\/plain/);
      expect(mail.decoded).toMatch(/Content-Type: text\/html/);
    }
    expect(outage!.header('Subject')).toBe('[home] ups on Synology NAS: on battery');
    expect(outage!.decoded).toMatch(/ups on Synology NAS: on battery, 100 %, 50 min runtime/);
    expect(outage!.decoded).toContain(
      '<h2 style="margin:0 0 .5em">[home] ups on Synology NAS: on battery</h2>',
    );
    expect(outage!.decoded).toMatch(/Battery charge: 100 %/);
    expect(resolved!.header('Subject')).toMatch(
      /^\[home\] ups on Synology NAS: resolved: power back after \d+ s$/,
    );
    expect(resolved!.decoded).toMatch(
      /power back after \d+ s; lowest charge 100 %; nobody shut down/,
    );
    // One conversation: the resolution answers the outage mail.
    expect(resolved!.header('In-Reply-To')).toBe(outage!.header('Message-ID'));
    expect(resolved!.header('References')).toBe(outage!.header('Message-ID'));
  });

  it('a wrong SMTP password is a permanent failure with the reason', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    process.env.NS_TEST_SMTP_WRONG = 'nope';
    [rig, smtp] = await Promise.all([startUpsdRig(), startSmtpServer(USER)]);
    core = await startCore('email-bad', { historyInMemory: true });
    expect(
      await core.handlers['config:save']({ config: config(rig, smtp, 'NS_TEST_SMTP_WRONG') }),
    ).toEqual({ ok: true });
    const result = await core.handlers['alerts:test']({ channelId: 'mail' });
    expect(result).toEqual({
      ok: false,
      detail: `mail (email): SMTP 127.0.0.1:${smtp.port} refused the login (check the user name and the stored password)`,
    });
    expect(smtp.mails).toEqual([]);
  });
  it('an SMTP server that is not running: "refused the connection", as every channel says it', async () => {
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    process.env.NS_TEST_SMTP_PASSWORD = USER.password;
    [rig, smtp] = await Promise.all([startUpsdRig(), startSmtpServer(USER)]);
    core = await startCore('email-down', { historyInMemory: true });
    expect(
      await core.handlers['config:save']({ config: config(rig, smtp, 'NS_TEST_SMTP_PASSWORD') }),
    ).toEqual({ ok: true });
    const { port } = smtp;
    await smtp.stop();
    smtp = undefined;
    expect(await core.handlers['alerts:test']({ channelId: 'mail' })).toEqual({
      ok: false,
      detail: `mail (email): SMTP 127.0.0.1:${port} refused the connection (is the service running on that port?)`,
    });
  });
});
