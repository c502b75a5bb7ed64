/**
 * "Test connection": walks the same steps a session takes (resolve, connect, STARTTLS,
 * identify, find the UPS, LOGIN, read) on a throw-away connection and turns the first failure
 * into an explanation and a fix. Synology and Proxmox specifics come from the client's error
 * texts (permitted devices, LISTEN, firewall).
 */
import { lookup } from 'node:dns/promises';
import type { z } from 'zod';
import type { ConnectionTestRequestSchema, ConnectionTestResult } from '../../shared/ipc';
import type { ServerIdentity } from '../../shared/snapshot';
import { NutClient, type NutClientOptions } from '../nut/client';
import { NutError } from '../nut/errors';

export type ConnectionTestRequest = z.output<typeof ConnectionTestRequestSchema>;

export interface DoctorOptions {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  resolve?: (host: string) => Promise<string>;
  /** Preset of the master being edited, to name Proxmox (upsd cannot tell). */
  preset?: 'synology' | 'proxmox' | 'generic';
}

type Step = ConnectionTestResult['steps'][number];

export async function testConnection(request: ConnectionTestRequest, password: string | undefined, options: DoctorOptions = {}): Promise<ConnectionTestResult> {
  const steps: Step[] = [];
  let server: ServerIdentity | null = null;
  let upsNames: string[] = [];
  const fail = (step: Step['step'], error: unknown): ConnectionTestResult => {
    const nutError = error instanceof NutError ? error : null;
    const explanation = nutError?.explanation ?? (error instanceof Error ? error.message : String(error));
    steps.push({ step, ok: false, detail: explanation });
    return {
      ok: false,
      steps,
      diagnosis: { code: nutError?.code ?? 'ERROR', explanation, fix: nutError?.fix ?? 'Check the host name and port.' },
      server,
      upsNames,
    };
  };

  const resolve = options.resolve ?? (async (host: string) => (await lookup(host)).address);
  try {
    const address = await resolve(request.host);
    steps.push({ step: 'resolve', ok: true, detail: address === request.host ? request.host : `${request.host} is ${address}` });
  } catch (error) {
    return fail(
      'resolve',
      new NutError({
        kind: 'dns',
        code: 'ENOTFOUND',
        explanation: `The name ${request.host} does not resolve to an address.`,
        fix: 'Check the spelling, or use the master’s IP address (shown in DSM under Control Panel → Network, or `ip addr` on Proxmox).',
        cause: error,
      }),
    );
  }

  const connect = options.connect ?? ((o: NutClientOptions) => NutClient.connect(o));
  let client: NutClient;
  try {
    client = await connect({
      host: request.host,
      port: request.port,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      keepAliveIntervalMs: 0,
      tls: {
        mode: request.tls.mode,
        ...(request.tls.caPem ? { caPem: request.tls.caPem } : {}),
        ...(request.tls.fingerprint256 ? { fingerprint256: request.tls.fingerprint256 } : {}),
        insecure: request.tls.insecure,
      },
    });
  } catch (error) {
    return fail(error instanceof NutError && error.kind === 'tls' ? 'tls' : 'connect', error);
  }
  steps.push({ step: 'connect', ok: true, detail: `Connected to ${request.host}:${request.port}` });
  if (request.tls.mode !== 'off') {
    steps.push({
      step: 'tls',
      ok: client.tlsActive || request.tls.mode === 'opportunistic',
      detail: client.tlsActive
        ? `Encrypted (${client.tlsProtocol ?? 'TLS'}), certificate ${client.peerCertificateFingerprint256 ?? ''}`.trim()
        : `The server does not offer STARTTLS (${client.tlsDeclinedCode ?? 'declined'}); continuing in plaintext.`,
    });
  }

  try {
    const capabilities = await client.capabilities();
    server = {
      kind: capabilities.isSynology ? 'synology' : options.preset === 'proxmox' ? 'proxmox' : 'nut',
      version: capabilities.serverVersion,
      protocol: capabilities.protVer ?? capabilities.netVer,
    };
    steps.push({ step: 'identify', ok: true, detail: `${capabilities.serverVersion} (protocol ${server.protocol ?? '?'})` });

    upsNames = (await client.listUps()).map((u) => u.name);
    if (request.upsName === '') {
      steps.push({ step: 'ups', ok: upsNames.length > 0, detail: upsNames.length > 0 ? `UPSes on this server: ${upsNames.join(', ')}` : 'The server offers no UPS.' });
      return { ok: upsNames.length > 0, steps, diagnosis: null, server, upsNames };
    }
    // upsd compares UPS names case-insensitively.
    if (!upsNames.some((name) => name.toLowerCase() === request.upsName.toLowerCase())) {
      return fail(
        'ups',
        new NutError({
          kind: 'server',
          code: 'UNKNOWN-UPS',
          explanation: `The server has no UPS named “${request.upsName}”.`,
          fix: upsNames.length > 0 ? `Pick one of: ${upsNames.join(', ')}.` : 'The server lists no UPS at all: check ups.conf on the master (Synology: the UPS is always “ups”).',
          availableUps: upsNames,
        }),
      );
    }
    steps.push({ step: 'ups', ok: true, detail: `Found UPS “${request.upsName}”` });

    if (request.username !== '') {
      await client.authenticate(request.username, password ?? '');
      await client.login(request.upsName);
      const logins = await client.getNumLogins(request.upsName).catch(() => null);
      steps.push({
        step: 'login',
        ok: true,
        detail: `LOGIN accepted for ${request.username}: the master will wait for this machine${logins === null ? '' : ` (${logins} logged in now, this test included)`}.`,
      });
    }

    const status = await client.getVar(request.upsName, 'ups.status');
    steps.push({ step: 'read', ok: true, detail: `ups.status is “${status}”` });
    return { ok: true, steps, diagnosis: null, server, upsNames };
  } catch (error) {
    const step: Step['step'] = error instanceof NutError && error.code === 'ACCESS-DENIED' ? 'login' : 'read';
    return fail(step, error);
  } finally {
    await client.close();
  }
}
