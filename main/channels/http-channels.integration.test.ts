/**
 * Webhook, ntfy and Gotify through the composed core against a real upsd: a power cut opens one
 * incident, the return of power resolves it with a summary, and every request is checked against
 * the service's published API (ntfy JSON publish, Gotify POST /message with X-Gotify-Key) and our
 * own webhook contract (versioned body, Idempotency-Key, HMAC-SHA256 signature). Failure modes
 * (HTTP 500, a hung endpoint, a refused port) are retried with backoff and recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertSchema, type ChannelConfig } from '../../shared/channels';
import type { ConfigInput } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { createAppCore } from '../core/app-core';
import type { CoreService } from '../core/core-service';
import type { Logger } from '../platform/ports';
import { getFreePort, waitFor } from '../testing/net';
import { type HttpReceiver, startHttpReceiver } from '../testing/http-receiver';
import { type Rig, recentBatteryReplacement, startUpsdRig } from '../testing/upsd-rig';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from './http-channels';

const quiet: Logger = { log: () => undefined };
const SIGNING_KEY = 'test-signing-key-0123456789';
const NTFY_TOKEN = 'tk_testtoken123';
const GOTIFY_TOKEN = 'AgotifyAppToken';

type ChannelInput = Record<string, unknown> & { id: string; type: ChannelConfig['type'] };

describe('HTTP alert channels against a real upsd', () => {
  let rig: Rig;
  let dir: string;
  let core: CoreService | undefined;
  let receivers: HttpReceiver[] = [];
  const events: StoredEvent[] = [];

  beforeEach(async () => {
    rig = await startUpsdRig();
    dir = await mkdtemp(path.join(tmpdir(), 'alerts-http-'));
    events.length = 0;
    process.env.NS_TEST_UPS_PASSWORD = 'secret';
    process.env.NS_TEST_SIGNING_KEY = SIGNING_KEY;
    process.env.NS_TEST_NTFY_TOKEN = NTFY_TOKEN;
    process.env.NS_TEST_GOTIFY_TOKEN = GOTIFY_TOKEN;
  });
  afterEach(async () => {
    await core?.stop();
    core = undefined;
    await Promise.all(receivers.map((r) => r.close()));
    receivers = [];
    await rig.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function receiver(...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> {
    const r = await startHttpReceiver(...args);
    receivers.push(r);
    return r;
  }

  async function startCore(channels: ChannelInput[], settleSeconds = 1): Promise<CoreService> {
    core = await createAppCore({
      configPath: path.join(dir, 'config.json'),
      dataDir: dir,
      secrets: null,
      notifier: null,
      logger: quiet,
    });
    core.onPush('events:appended', (e) => events.push(e));
    await core.start();
    const config: ConfigInput = {
      masters: [
        {
          id: 'nas',
          label: 'Synology NAS',
          host: '127.0.0.1',
          port: rig.port,
          ups: [
            {
              name: 'ups',
              username: 'monuser',
              password: { source: 'env', name: 'NS_TEST_UPS_PASSWORD' },
              batteryReplacedOn: recentBatteryReplacement(),
            },
          ],
        },
      ],
      timing: { statusPollSeconds: 0.25, fullPollSeconds: 1 },
      shutdown: { dryRun: true },
      alerts: {
        channels: channels as never,
        incidents: { settleSeconds, chargeSteps: [75, 50, 25] },
      },
    };
    const saved = await core.handlers['config:save']({ config });
    expect(saved).toEqual({ ok: true });
    await waitFor(
      () =>
        core!.snapshot().ups[0]?.loggedIn === true &&
        core!.snapshot().ups[0]?.metrics.charge !== null,
      { timeoutMs: 10_000 },
    );
    return core;
  }

  const deliveries = () => events.filter((e) => e.type === 'ALERT_DELIVERY');

  it('one incident per outage: opened with charge and runtime, updated at a charge step, resolved with a summary; each request as the service documents it', async () => {
    const webhook = await receiver();
    const ntfy = await receiver();
    const gotify = await receiver();
    await startCore([
      {
        id: 'hook',
        type: 'webhook',
        url: `${webhook.url}/nut`,
        headers: { 'X-Team': 'ops' },
        signingKey: { source: 'env', name: 'NS_TEST_SIGNING_KEY' },
      },
      {
        id: 'phone',
        type: 'ntfy',
        url: ntfy.url,
        topic: 'ups-alerts',
        token: { source: 'env', name: 'NS_TEST_NTFY_TOKEN' },
        severities: ['info', 'warning', 'critical'],
      },
      {
        id: 'gotify',
        type: 'gotify',
        url: `${gotify.url}/`,
        token: { source: 'env', name: 'NS_TEST_GOTIFY_TOKEN' },
      },
    ]);

    await rig.setStatus('ups', 'OB');
    await waitFor(
      () =>
        webhook.requests.length >= 1 && ntfy.requests.length >= 1 && gotify.requests.length >= 1,
      { timeoutMs: 10_000 },
    );
    await rig.setVar('ups', 'battery.charge', '63');
    await waitFor(() => webhook.requests.length >= 2, { timeoutMs: 10_000 });
    // A flap inside the settle time stays the same incident.
    await rig.setStatus('ups', 'OL');
    await new Promise((r) => setTimeout(r, 300));
    await rig.setStatus('ups', 'OB');
    await new Promise((r) => setTimeout(r, 500));
    await rig.setStatus('ups', 'OL');
    await waitFor(() => webhook.requests.length >= 3 && ntfy.requests.length >= 3, {
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 1_500));

    // Webhook: our versioned body, idempotency key, signature over "timestamp.body".
    const bodies = webhook.requests.map((r) => AlertSchema.parse(JSON.parse(r.body)));
    expect(bodies.map((b) => b.phase)).toEqual(['open', 'update', 'resolved']);
    const incidentIds = new Set(bodies.map((b) => b.incident?.id));
    expect(incidentIds.size).toBe(1);
    expect(bodies[0]!.title).toBe('ups on Synology NAS: on battery');
    expect(bodies[0]!.text).toMatch(/^ups on Synology NAS: on battery, 100 %, 50 min runtime$/);
    expect(bodies[1]!.text).toContain('battery down to 63 % (threshold 75 %)');
    expect(bodies[2]!.text).toMatch(
      /power back after \d+ s; lowest charge 63 %; 1 more power failure in between; nobody shut down/,
    );
    expect(bodies[2]!.summary).toMatchObject({
      lowestCharge: 63,
      shutdownStarted: false,
      flaps: 1,
    });
    for (const request of webhook.requests) {
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/nut');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-team']).toBe('ops');
      expect(request.headers['idempotency-key']).toBe(JSON.parse(request.body).id);
      const timestamp = String(request.headers[TIMESTAMP_HEADER.toLowerCase()]);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
      expect(request.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(
        webhookSignature(SIGNING_KEY, timestamp, request.body),
      );
      expect(request.headers[SIGNATURE_HEADER.toLowerCase()]).not.toBe(
        webhookSignature('wrong-key', timestamp, request.body),
      );
    }

    // ntfy: JSON publish to the server root (topic in the body), bearer token, priority and tags
    // per severity, the incident's sequence id so the phone updates one notification.
    const published = ntfy.requests.map((r) => {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/');
      expect(r.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
      expect(r.headers['content-type']).toBe('application/json');
      return JSON.parse(r.body) as Record<string, unknown>;
    });
    expect(published[0]).toMatchObject({
      topic: 'ups-alerts',
      title: 'ups on Synology NAS: on battery',
      priority: 4,
      tags: ['warning'],
    });
    expect(published.at(-1)).toMatchObject({
      topic: 'ups-alerts',
      priority: 3,
      tags: ['white_check_mark'],
    });
    expect(new Set(published.map((p) => p.sequence_id)).size).toBe(1);
    expect(String(published[0]!.sequence_id)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);

    // Gotify: POST /message, app token in X-Gotify-Key, title/message/priority (0-10).
    const messages = gotify.requests.map((r) => {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/message');
      expect(r.headers['x-gotify-key']).toBe(GOTIFY_TOKEN);
      return JSON.parse(r.body) as {
        title: string;
        message: string;
        priority: number;
        extras: Record<string, unknown>;
      };
    });
    expect(messages[0]).toMatchObject({ title: 'ups on Synology NAS: on battery', priority: 5 });
    expect(messages.at(-1)!.message).toMatch(/power back after/);
    expect(messages[0]!.extras['client::display']).toEqual({ contentType: 'text/plain' });

    // Delivery status per channel, in the event log and the status API; secrets in neither.
    expect(
      deliveries()
        .filter((e) => e.data?.state === 'delivered')
        .map((e) => e.data?.channel),
    ).toEqual(expect.arrayContaining(['hook', 'phone', 'gotify']));
    const status = await core!.handlers['alerts:status'](undefined);
    expect(status.map((s) => [s.id, s.state, s.pending])).toEqual([
      ['hook', 'ok', 0],
      ['phone', 'ok', 0],
      ['gotify', 'ok', 0],
    ]);
    const logText = JSON.stringify(events);
    for (const secret of [SIGNING_KEY, NTFY_TOKEN, GOTIFY_TOKEN])
      expect(logText).not.toContain(secret);
  });

  it('HTTP 500, a hung endpoint and a refused port are retried with backoff and recorded; nothing is lost or sent twice', async () => {
    const failing = await receiver({
      responder: (_r, i) => (i === 0 ? { status: 500, body: 'upstream down' } : { status: 200 }),
    });
    const hung = await receiver({ responder: (_r, i) => (i === 0 ? 'hang' : { status: 200 }) });
    const refusedPort = await getFreePort();
    await startCore([
      { id: 'five-hundred', type: 'webhook', url: failing.url },
      { id: 'hung', type: 'webhook', url: hung.url, timeoutSeconds: 1 },
      { id: 'refused', type: 'webhook', url: `http://127.0.0.1:${refusedPort}/` },
    ]);

    await rig.setStatus('ups', 'OB');
    await waitFor(() => deliveries().filter((e) => e.data?.state === 'retrying').length >= 3, {
      timeoutMs: 10_000,
    });
    const retrying = Object.fromEntries(
      deliveries()
        .filter((e) => e.data?.state === 'retrying')
        .map((e) => [e.data?.channel, e.message]),
    );
    expect(retrying['five-hundred']).toContain('answered HTTP 500: upstream down');
    expect(retrying.hung).toMatch(/127\.0\.0\.1:\d+ did not answer within 1 s/);
    expect(retrying.refused).toMatch(/refused the connection/);
    const status = Object.fromEntries(
      (await core!.handlers['alerts:status'](undefined)).map((s) => [s.id, s]),
    );
    expect(status.refused).toMatchObject({ state: 'failing', pending: 1 });
    expect(status.refused!.lastError).toMatch(/refused/);

    // The refused endpoint comes up on its port: the queued message arrives with the same id.
    const late = await receiver({ port: refusedPort });
    await waitFor(
      () => failing.requests.length >= 2 && hung.requests.length >= 2 && late.requests.length >= 1,
      { timeoutMs: 20_000 },
    );
    await waitFor(() => deliveries().filter((e) => e.data?.state === 'delivered').length >= 3, {
      timeoutMs: 5_000,
    });
    const ids = [
      failing.requests[0]!,
      failing.requests[1]!,
      hung.requests[1]!,
      late.requests[0]!,
    ].map((r) => JSON.parse(r.body).id as string);
    expect(new Set(ids).size).toBe(1);
    // Backoff: the second attempt waited about 2 s (±20 %), not a tight loop.
    expect(failing.requests[1]!.at - failing.requests[0]!.at).toBeGreaterThanOrEqual(1_500);
    expect(failing.requests).toHaveLength(2);
    const delivered = deliveries().filter((e) => e.data?.state === 'delivered');
    expect(delivered.find((e) => e.data?.channel === 'five-hundred')?.message).toMatch(
      /after 2 attempts/,
    );
    expect(
      (await core!.handlers['alerts:status'](undefined)).every(
        (s) => s.state === 'ok' && s.pending === 0,
      ),
    ).toBe(true);
  });

  it('a 401 is a configuration problem: given up at once with the reason, and Send test reports it too', async () => {
    const denied = await receiver({ responder: () => ({ status: 401, body: 'unauthorized' }) });
    await startCore([
      {
        id: 'denied',
        type: 'gotify',
        url: denied.url,
        token: { source: 'env', name: 'NS_TEST_GOTIFY_TOKEN' },
      },
    ]);
    const test = await core!.handlers['alerts:test']({ channelId: 'denied' });
    expect(test.ok).toBe(false);
    expect(test.detail).toContain('Gotify answered HTTP 401: unauthorized (check the channel');
    // The status line shows the test, which bypassed the queue.
    const [status] = await core!.handlers['alerts:status'](undefined);
    expect(status).toMatchObject({
      id: 'denied',
      state: 'failing',
      pending: 0,
      lastTest: { ok: false, detail: test.detail },
    });
    expect(status!.lastError).toBe(test.detail);
    const unknown = await core!.handlers['alerts:test']({ channelId: 'nope' });
    expect(unknown).toEqual({ ok: false, detail: 'No channel "nope" (configured: denied).' });

    await rig.setStatus('ups', 'OB');
    await waitFor(() => deliveries().some((e) => e.data?.state === 'failed'), {
      timeoutMs: 10_000,
    });
    expect(deliveries().find((e) => e.data?.state === 'failed')?.message).toMatch(
      /given up after 1 attempt: Gotify answered HTTP 401/,
    );
  });
});
