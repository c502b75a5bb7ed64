/**
 * "Test connection" and `nut-sentinel doctor`: walks the steps a session takes (resolve,
 * connect, STARTTLS, identify, find the UPS, LOGIN, read) on a throw-away connection and turns
 * the first failure into an explanation and the exact fix (fixes.ts). It never reports success
 * unless it read the status, and, for a secondary, logged in first.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type os from 'node:os';
import type * as z from 'zod';
import type { ConnectionTestRequestSchema, ConnectionTestResult } from '../../shared/ipc';
import { type RightsWords, rightsWordsFor } from '../../shared/rights';
import { type Diagnosis, type ServerIdentity, detectedServerKind } from '../../shared/snapshot';
import { NutClient, type NutClientOptions } from '../nut/client';
import { normalizeAddress } from '../nut/client-addresses';
import { NutError, hasServerCode } from '../nut/errors';
import {
  DSM_PASSWORD,
  DSM_USERS,
  type OtherPortAnswer,
  type Preset,
  ipv6OnSameInterface,
  loginRefusedDiagnosis,
  notPermittedDiagnosis,
  refusedDiagnosis,
  timeoutDiagnosis,
  userRequiredDiagnosis,
} from '../nut/fixes';
import { nutTlsOptions } from '../nut/tls-settings';

export type ConnectionTestRequest = z.input<typeof ConnectionTestRequestSchema>;

export interface DoctorOptions {
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  resolve?: (host: string) => Promise<string>;
  /** Preset of the master (names Proxmox: upsd cannot tell); the request's own preset wins. */
  preset?: Preset;
  networkInterfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** After a connect timeout: does another port of the host answer? (tells a firewall drop from a host that is down) */
  probeOtherPorts?: (
    host: string,
    ports: readonly number[],
    timeoutMs: number,
  ) => Promise<OtherPortAnswer | null>;
}

type Step = ConnectionTestResult['steps'][number];

/** Ports a master usually has open besides NUT: the PVE web UI, SSH, DSM's web UI, HTTP(S). */
function otherPortsFor(preset: Preset | undefined): number[] {
  return preset === 'proxmox'
    ? [8006, 22]
    : preset === 'synology'
      ? [5000, 5001, 22]
      : [22, 443, 80];
}

/** One TCP connect per port, in parallel: the first that connects or is refused (RST) shows the host is up. */
export async function probeOtherPorts(
  host: string,
  ports: readonly number[],
  timeoutMs: number,
): Promise<OtherPortAnswer | null> {
  const answers = await Promise.all(
    ports.map(
      (port) =>
        new Promise<OtherPortAnswer | null>((resolve) => {
          const socket = net.connect({ host, port });
          const done = (answer: OtherPortAnswer['answer'] | null) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(answer ? { port, answer } : null);
          };
          const timer = setTimeout(() => done(null), timeoutMs);
          socket.once('connect', () => done('open'));
          socket.once('error', (error: NodeJS.ErrnoException) =>
            done(error.code === 'ECONNREFUSED' ? 'refused' : null),
          );
        }),
    ),
  );
  return answers.find((answer) => answer !== null) ?? null;
}

/** The source address this machine would use towards `host` (a UDP connect sends nothing). */
export async function localAddressTowards(host: string, port: number): Promise<string | null> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => resolve());
    });
    return socket.address().address;
  } catch {
    return null;
  } finally {
    socket.close();
  }
}

/** The request with its defaults filled in. */
type FilledRequest = ConnectionTestRequest & {
  tls: NonNullable<ConnectionTestRequest['tls']>;
  upsName: string;
  username: string;
  role: NonNullable<ConnectionTestRequest['role']>;
};

/** What the test found so far; each step adds to it. */
interface DoctorRun {
  readonly request: FilledRequest;
  readonly preset: Preset | undefined;
  readonly options: DoctorOptions;
  readonly steps: Step[];
  server: ServerIdentity | null;
  upsNames: string[];
  upsName: string;
  words: RightsWords;
  localAddress: string | null;
  suggestion: ConnectionTestResult['suggestion'];
}

/** Thrown by a step that ends the test: the result to return (not a failure of the doctor). */
class TestEnded extends Error {
  constructor(readonly result: ConnectionTestResult) {
    super('connection test ended');
  }
}

function resultOf(run: DoctorRun, ok: boolean, diagnosis: Diagnosis | null): ConnectionTestResult {
  return {
    ok,
    steps: run.steps,
    diagnosis,
    server: run.server,
    upsNames: run.upsNames,
    upsName: run.upsName,
    rightsWords: run.words,
    localAddress: run.localAddress,
    suggestion: run.suggestion,
  };
}

/** The failed step, recorded; throw it to end the test with this diagnosis. */
function failed(
  run: DoctorRun,
  step: Step['step'],
  diagnosis: Diagnosis,
  detail = diagnosis.explanation,
): TestEnded {
  run.steps.push({ step, ok: false, detail });
  return new TestEnded(resultOf(run, false, diagnosis));
}

function diagnosisOf(error: unknown): Diagnosis {
  if (error instanceof NutError)
    return { code: error.code, explanation: error.explanation, fix: error.fix };
  return {
    code: 'ERROR',
    explanation: error instanceof Error ? error.message : String(error),
    fix: 'Check the host name and port.',
  };
}

/**
 * The connection doctor: resolve, connect (and TLS), identify the server, find the UPS, log in
 * (or say why a secondary needs a user), read ups.status. The first failing step ends the test
 * with the diagnosis that names its fix; every step so far is in the result.
 */
export async function testConnection(
  input: ConnectionTestRequest,
  password: string | undefined,
  options: DoctorOptions = {},
): Promise<ConnectionTestResult> {
  const request: FilledRequest = {
    upsName: '',
    username: '',
    role: 'secondary' as const,
    tls: { mode: 'off' as const, insecure: false },
    ...input,
  };
  const run: DoctorRun = {
    request,
    preset: request.preset ?? options.preset,
    options,
    steps: [],
    server: null,
    upsNames: [],
    upsName: request.upsName,
    words: 'master-slave',
    localAddress: null,
    suggestion: null,
  };
  try {
    const address = await resolveHost(run);
    const client = await connectClient(run, address);
    try {
      await identifyServer(run, client);
      await chooseUps(run, client);
      await logIn(run, client, password);
      const status = await client.getVar(run.upsName, 'ups.status');
      run.steps.push({ step: 'read', ok: true, detail: `ups.status is “${status}”` });
      return resultOf(run, true, null);
    } catch (error) {
      if (error instanceof TestEnded) throw error;
      const step: Step['step'] =
        error instanceof NutError && error.code === 'ACCESS-DENIED' ? 'login' : 'read';
      throw failed(run, step, diagnosisOf(error));
    } finally {
      await client.close();
    }
  } catch (error) {
    if (error instanceof TestEnded) return error.result;
    throw error;
  }
}

async function resolveHost(run: DoctorRun): Promise<string> {
  const { request, options } = run;
  const resolve = options.resolve ?? (async (host: string) => (await lookup(host)).address);
  let address: string;
  try {
    address = await resolve(request.host);
  } catch {
    throw failed(run, 'resolve', {
      code: 'ENOTFOUND',
      explanation: `The name ${request.host} does not resolve to an address.`,
      fix: 'Check the spelling, or use the master’s IP address (shown in DSM under Control Panel → Network, or `ip addr` on Proxmox).',
    });
  }
  run.steps.push({
    step: 'resolve',
    ok: true,
    detail: address === request.host ? request.host : `${request.host} is ${address}`,
  });
  return address;
}

/** Connects (with STARTTLS as configured); a refusal or a timeout gets the diagnosis of its cause. */
async function connectClient(run: DoctorRun, address: string): Promise<NutClient> {
  const { request, options, preset } = run;
  const connect = options.connect ?? ((o: NutClientOptions) => NutClient.connect(o));
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const tls = nutTlsOptions(request.tls);
  let client: NutClient;
  try {
    client = await connect({
      host: request.host,
      port: request.port,
      connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      keepAliveIntervalMs: 0,
      tls,
    });
  } catch (error) {
    if (error instanceof NutError && error.kind === 'refused')
      throw failed(run, 'connect', refusedDiagnosis(request.host, request.port, preset));
    if (error instanceof NutError && error.kind === 'timeout') {
      run.localAddress = await localAddressTowards(address, request.port);
      const ports = otherPortsFor(preset);
      const other = await (options.probeOtherPorts ?? probeOtherPorts)(
        address,
        ports,
        Math.min(connectTimeoutMs, 2000),
      );
      throw failed(
        run,
        'connect',
        timeoutDiagnosis(request.host, request.port, preset, run.localAddress, other, ports),
      );
    }
    throw failed(
      run,
      error instanceof NutError && error.kind === 'tls' ? 'tls' : 'connect',
      diagnosisOf(error),
    );
  }
  run.localAddress =
    client.localAddress === undefined ? null : normalizeAddress(client.localAddress);
  run.steps.push({
    step: 'connect',
    ok: true,
    detail: `Connected to ${request.host}:${request.port} from ${run.localAddress ?? 'this machine'}`,
  });
  if (tls.mode !== 'off') {
    run.steps.push({
      step: 'tls',
      ok: client.tlsActive || tls.mode === 'opportunistic',
      detail: client.tlsActive
        ? `Encrypted (${client.tlsProtocol ?? 'TLS'}), certificate ${client.peerCertificateFingerprint256 ?? ''}`.trim()
        : `The server does not offer STARTTLS (${client.tlsDeclinedCode ?? 'declined'}); continuing in plaintext.`,
    });
  }
  return client;
}

/** VER/NETVER/PROTVER: the kind of server and the rights words it understands. */
async function identifyServer(run: DoctorRun, client: NutClient): Promise<void> {
  try {
    const capabilities = await client.capabilities();
    const server: ServerIdentity = {
      kind: detectedServerKind(capabilities.serverVersion, capabilities.isSynology),
      version: capabilities.serverVersion,
      protocol: capabilities.protVer ?? capabilities.netVer,
    };
    run.server = server;
    run.words = rightsWordsFor({
      protVer: capabilities.protVer,
      synology: capabilities.isSynology,
    });
    run.steps.push({
      step: 'identify',
      ok: true,
      detail: `${capabilities.serverVersion} (protocol ${server.protocol ?? '?'}${capabilities.protVer ? '' : ', no PROTVER: a pre-2.8 server, rights are written upsmon master/slave'})`,
    });
  } catch (error) {
    // The connection broke on the first request (not upsd on that port, or it dropped us).
    if (error instanceof NutError && error.connectionLost)
      throw failed(run, 'identify', diagnosisOf(error));
    if (!hasServerCode(error, 'ACCESS-DENIED')) throw error;
    // Even VER is refused: a Synology NAS that does not permit this machine, if LIST UPS is refused too.
    const listRefused = await client.listUps().then(
      () => false,
      (listError: unknown) => hasServerCode(listError, 'ACCESS-DENIED'),
    );
    if (listRefused) {
      const ipv6 = ipv6OnSameInterface(run.localAddress, run.options.networkInterfaces?.());
      throw failed(
        run,
        'identify',
        notPermittedDiagnosis(run.localAddress, ipv6),
        'VER and LIST UPS answered ACCESS-DENIED: the server refuses every command from this machine.',
      );
    }
    run.steps.push({
      step: 'identify',
      ok: true,
      detail: 'The server does not tell its version (VER refused).',
    });
  }
}

/** LIST UPS: the named UPS must be there; without a name, the only one is taken. */
async function chooseUps(run: DoctorRun, client: NutClient): Promise<void> {
  run.upsNames = (await client.listUps()).map((u) => u.name);
  const { upsNames, upsName } = run;
  if (upsName === '') {
    if (upsNames.length === 0) {
      throw failed(run, 'ups', {
        code: 'NO-UPS',
        explanation:
          'The server offers no UPS: its ups.conf defines none, or no driver is running.',
        fix: 'On the master, define the UPS in ups.conf and start its driver (`upsdrvctl start`); DSM: plug the UPS in and enable UPS support.',
      });
    }
    if (upsNames.length > 1) {
      throw failed(run, 'ups', {
        code: 'PICK-UPS',
        explanation: `The server offers ${upsNames.length} UPSes: ${upsNames.join(', ')}.`,
        fix: 'Pick the UPS that feeds this machine, then test again.',
      });
    }
    run.upsName = upsNames[0]!;
    run.steps.push({
      step: 'ups',
      ok: true,
      detail: `The server offers one UPS, “${run.upsName}”: using it.`,
    });
  } else if (!upsNames.some((name) => name.toLowerCase() === upsName.toLowerCase())) {
    // upsd compares UPS names case-insensitively.
    throw failed(run, 'ups', {
      code: 'UNKNOWN-UPS',
      explanation: `The server has no UPS named “${upsName}”.`,
      fix:
        upsNames.length > 0
          ? `Pick one of: ${upsNames.join(', ')}.`
          : 'The server lists no UPS at all: check ups.conf on the master (Synology: the UPS is always “ups”).',
    });
  } else {
    run.steps.push({ step: 'ups', ok: true, detail: `Found UPS “${upsName}”` });
  }
}

/**
 * LOGIN with the credential; a secondary without a user gets the reason it needs one (after
 * showing that reading works without).
 */
async function logIn(
  run: DoctorRun,
  client: NutClient,
  password: string | undefined,
): Promise<void> {
  const { request, preset, upsName, words } = run;
  if (request.username === '' && (request.role ?? 'secondary') === 'secondary') {
    const status = await client.getVar(upsName, 'ups.status').catch(() => null);
    if (status !== null)
      run.steps.push({
        step: 'read',
        ok: true,
        detail: `ups.status is “${status}” (read without logging in)`,
      });
    throw failed(run, 'login', userRequiredDiagnosis(words, preset));
  }
  if (request.username !== '') {
    try {
      await client.authenticate(request.username, password ?? '');
      await client.login(upsName);
    } catch (error) {
      if (
        !hasServerCode(
          error,
          'ACCESS-DENIED',
          'INVALID-ARGUMENT',
          'INVALID-PASSWORD',
          'INVALID-USERNAME',
          'PASSWORD-INCORRECT',
          'PASSWORD-REQUIRED',
          'USERNAME-REQUIRED',
        )
      )
        throw error;
      const synology = run.server?.kind === 'synology';
      if (synology || preset === 'synology') {
        const other = DSM_USERS.find((user) => user !== request.username);
        if (other && (DSM_USERS as readonly string[]).includes(request.username))
          run.suggestion = { username: other, password: DSM_PASSWORD };
      }
      throw failed(
        run,
        'login',
        loginRefusedDiagnosis({
          username: request.username,
          ups: upsName,
          words,
          preset,
          synology,
          code: error.code,
        }),
      );
    }
    const logins = await client.getNumLogins(upsName).catch(() => null);
    run.steps.push({
      step: 'login',
      ok: true,
      detail: `LOGIN accepted for ${request.username}: the master will wait for this machine${logins === null ? '' : ` (${logins} logged in now, this test included)`}.`,
    });
  }
}
