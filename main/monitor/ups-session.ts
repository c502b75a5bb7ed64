/**
 * One monitored UPS at run time: a persistent NUT session (connect, authenticate, LOGIN, poll,
 * reconnect with jittered backoff, LOGOUT on a clean exit) feeding the pure decision core in
 * state-machine.ts, and carrying out its effects. Everything outside — hooks, the shutdown
 * command, history — is reached through the injected sink; clocks and sockets are injected too.
 *
 * Two connections per UPS (main/monitor/README.md, "Status cadence"): the SESSION connection
 * (LOGIN, the `ups.status` poll, keep-alive) and, opened once the session is up, a read-only POLL
 * connection for the full poll (LIST VAR, LIST CLIENT, GET NUMLOGINS; no credentials, no LOGIN,
 * so NUMLOGINS and LIST CLIENT count this machine once). upsd answers strictly in order, so on
 * one connection a status read queued behind a stuck or slow-dripping LIST waits for it; on its
 * own connection it keeps its cadence whatever the full poll does. A failing poll connection is
 * closed and reopened with its own back-off; it is not comm loss (the status, which alone drives
 * decisions, is still being read — as upsmon, which reads nothing else).
 */
import { EventEmitter } from 'node:events';
import type { MonitoredUps, Timing, TlsConfig } from '../../shared/config';
import {
  type Diagnosis,
  type ServerIdentity,
  type TlsState,
  detectedServerKind,
} from '../../shared/snapshot';
import type { Clock, Logger, TimerHandle } from '../platform/ports';
import { NutClient, type NutClientOptions } from '../nut/client';
import { NutError, hasServerCode } from '../nut/errors';
import { normalizeAddress } from '../nut/client-addresses';
import { ipv6OnSameInterface, notPermittedDiagnosis } from '../nut/fixes';
import { settlesWithin } from './deadline';
import { PollTicker } from './poll-ticker';
import { describeState, initialState, nextWakeAt, step } from './state-machine';
import type {
  DecisionConfig,
  MonitorEffect,
  MonitorInput,
  MonitorView,
  PollFailureReason,
  UpsMonitorState,
} from './types';
import { nutTlsOptions } from '../nut/tls-settings';

export interface UpsSessionSettings {
  masterId: string;
  masterLabel: string;
  preset: 'synology' | 'proxmox' | 'generic';
  host: string;
  port: number;
  tls: TlsConfig;
  ups: MonitoredUps;
  timing: Timing;
  /** DecisionConfig for the state machine (upsName = the system string `ups@host[:port]`). */
  decision: DecisionConfig;
}

type EffectOf<T extends MonitorEffect['type']> = Extract<MonitorEffect, { type: T }>;

/** Where a session's effects go. Implemented by the MonitorService. */
export interface SessionSink {
  notify(session: UpsSession, effect: EffectOf<'notify'>): void;
  beginShutdown(session: UpsSession, effect: EffectOf<'begin-shutdown'>): void;
  /** Starts the shutdown command; resolves when it has finished. */
  runShutdownCommand(
    session: UpsSession,
    effect: EffectOf<'run-shutdown-command'>,
  ): Promise<{ ok: boolean; detail?: string; dryRun?: boolean }>;
  /** Connection, login and configuration facts for the event log. */
  system(
    session: UpsSession,
    type: string,
    severity: 'info' | 'warning' | 'critical',
    message: string,
  ): void;
  changed(session: UpsSession): void;
}

export interface UpsSessionDeps {
  clock: Clock;
  sink: SessionSink;
  logger: Logger;
  /** The UPS entry's password (secret store, env or file); undefined when none is configured. */
  password: () => Promise<string | undefined>;
  connect?: (options: NutClientOptions) => Promise<NutClient>;
  /** Reverse DNS for the connected-clients view; null when the address has no name. */
  reverseLookup?: (address: string) => Promise<string | null>;
  random?: () => number;
  /** Poll timers shared with the other sessions (one wake-up per interval for all); default: the session's own. */
  ticker?: PollTicker;
}

export interface ClientsReading {
  /** LIST CLIENT addresses; null when the server cannot list. */
  addresses: string[] | null;
  numLogins: number | null;
  at: number;
}

/**
 * Reconnect policy of the session connection (main/monitor/README.md, "Reconnect policy"): the
 * first retry at once; then about every second (±20 %) while the last known state is on
 * battery, low battery or unknown, and during the first `fastForMs` of any outage — a master back
 * after a reboot is read within about a second, so a short on-battery/low-battery window right
 * after it is not missed; only a master gone for minutes while last known on line power is
 * retried every 4 s ±25 % (never more than 5 s: upsmon retries on every POLLFREQALERT, 5 s).
 */
export const RECONNECT_POLICY = {
  fastMs: 1_000,
  fastJitter: 0.2,
  fastForMs: 120_000,
  slowMs: 4_000,
  slowJitter: 0.25,
} as const;

/** The delay before reconnect attempt `attempt` (0 = the first after the loss). Pure. */
export function reconnectDelayMs(input: {
  attempt: number;
  outageMs: number;
  urgent: boolean;
  random: () => number;
}): number {
  if (input.attempt === 0) return 0;
  const fast = input.urgent || input.outageMs < RECONNECT_POLICY.fastForMs;
  const base = fast ? RECONNECT_POLICY.fastMs : RECONNECT_POLICY.slowMs;
  const jitter = fast ? RECONNECT_POLICY.fastJitter : RECONNECT_POLICY.slowJitter;
  return Math.round(base * (1 - jitter + input.random() * 2 * jitter));
}

/** The poll connection is reopened after failures with this back-off: the full-poll interval, doubling, at most 60 s. */
const POLL_RETRY_MAX_MS = 60_000;
/** A refused LOGIN is retried on a fresh connection this often (the password or allow-list may be fixed meanwhile). */
const LOGIN_RETRY_MS = 60_000;
/** Keep-alive well inside upsd's 60 s idle cut (the status poll normally resets it anyway). */
const KEEPALIVE_MS = 30_000;

const LOGIN_REFUSAL_CODES = new Set([
  'PASSWORD-UNAVAILABLE',
  'ACCESS-DENIED',
  'UNKNOWN-UPS',
  'USERNAME-REQUIRED',
  'PASSWORD-REQUIRED',
  'INVALID-ARGUMENT',
  'INVALID-PASSWORD',
  'INVALID-USERNAME',
  'PASSWORD-INCORRECT',
]);

export class UpsSession extends EventEmitter {
  readonly monitorId: string;
  private state: UpsMonitorState;
  private viewOf: UpsMonitorState | null = null;
  private cachedView!: MonitorView;
  private client: NutClient | null = null;
  private connecting = false;
  private restartPending = false;
  private tlsLink: Omit<TlsState, 'mode'> = { link: null, protocol: null, declinedCode: null };
  /** The plaintext-fallback warning was written since TLS last worked (reconnects do not repeat it). */
  private plaintextWarned = false;
  /** The last refused-LOGIN event written: retries with the same refusal do not repeat it. */
  private running = false;
  /** Bumped on resume and on every dropped connection: replies from an older generation are ignored. */
  private generation = 0;
  private reconnectAttempt = 0;
  /** Monotonic ms since when the session has had no good status read (null while it has). */
  private outageSince: number | null = null;
  /** The read-only connection of the full poll (see the module comment). */
  private pollClient: NutClient | null = null;
  private pollFailures = 0;
  /** Monotonic ms before which no new poll connection is opened (back-off after a failure). */
  private pollRetryAt = 0;
  /** The last full-poll failure written to the event log: a streak of the same failure is logged once. */
  private lastPollFailureLogged: string | null = null;
  private statusInFlight = false;
  private fullInFlight = false;
  private timers: Partial<Record<'wake' | 'reconnect' | 'loginRetry', TimerHandle>> = {};
  /** Unsubscribes from the status and full-poll ticks while connected. */
  private unsubscribePolls: (() => void)[] = [];
  private readonly ticker: PollTicker;
  private variablesCache = new Map<string, string>();
  private variablesAtMs: number | null = null;
  private statusAtMs: number | null = null;
  private clientsCache: ClientsReading | null = null;
  private readonly hostnames = new Map<string, string | null>();
  private identity: ServerIdentity;
  private lastErrorValue: Diagnosis | null = null;
  /** Set while the master refuses every command (not a permitted device): the diagnosis for every ACCESS-DENIED. */
  private notPermitted: Diagnosis | null = null;
  private localAddressValue: string | null = null;
  private readonly connectFn: (options: NutClientOptions) => Promise<NutClient>;
  private readonly random: () => number;

  constructor(
    readonly settings: UpsSessionSettings,
    private readonly deps: UpsSessionDeps,
  ) {
    super();
    this.monitorId = `${settings.masterId}/${settings.ups.name}`;
    this.state = initialState(deps.clock.monotonic(), settings.decision);
    this.identity = { kind: 'unknown', version: null, protocol: null };
    this.connectFn = deps.connect ?? ((options) => NutClient.connect(options));
    this.random = deps.random ?? Math.random;
    this.ticker = deps.ticker ?? new PollTicker(deps.clock);
  }

  // ------------------------------------------------------------------------------------------
  // What the UI and the service read

  get systemName(): string {
    return this.settings.decision.upsName;
  }
  /** The view of the current state; built once per state (states are immutable, views readonly). */
  get view(): MonitorView {
    if (this.viewOf !== this.state) {
      this.viewOf = this.state;
      this.cachedView = describeState(this.state);
    }
    return this.cachedView;
  }
  get monitorState(): UpsMonitorState {
    return this.state;
  }
  get variables(): ReadonlyMap<string, string> {
    return this.variablesCache;
  }
  /** Epoch ms of the last successful status read / LIST VAR. */
  get statusAt(): number | null {
    return this.statusAtMs;
  }
  get variablesAt(): number | null {
    return this.variablesAtMs;
  }
  get clients(): ClientsReading | null {
    return this.clientsCache;
  }
  get server(): ServerIdentity {
    return this.identity;
  }
  get lastError(): Diagnosis | null {
    return this.lastErrorValue;
  }
  get tls(): TlsState {
    return { mode: this.settings.tls.mode, ...this.tlsLink };
  }
  /** Our address as the master sees it (to mark "this machine" in LIST CLIENT). */
  get localAddress(): string | null {
    return this.localAddressValue;
  }
  hostnameOf(address: string): string | null {
    return this.hostnames.get(address) ?? null;
  }
  get isConnected(): boolean {
    return this.client?.isOpen === true;
  }

  // ------------------------------------------------------------------------------------------
  // Control

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectSoon(0);
  }

  /**
   * Clean exit: LOGOUT and close; no reconnect. With `deadlineMs`, a master that has not answered
   * the LOGOUT by then (or when `signal` aborts) is dropped without it (the socket closes, upsd
   * forgets the LOGIN).
   * Resolves false when it was dropped.
   */
  async stop(options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    this.running = false;
    for (const key of Object.keys(this.timers) as (keyof typeof this.timers)[])
      this.clearTimer(key);
    this.stopPolling();
    this.closePollClient();
    const client = this.client;
    this.client = null;
    this.generation += 1;
    let answered = true;
    if (client) {
      const closing = client.close();
      const since = performance.now();
      if (options.deadlineMs === undefined) await closing;
      else if (!(await settlesWithin(closing, options.deadlineMs, options.signal))) {
        answered = false;
        client.abort();
        this.deps.sink.system(
          this,
          'LOGOUT_DROPPED',
          'warning',
          `${this.systemName} did not answer LOGOUT within ${Math.round(performance.now() - since)} ms: closed the connection without it`,
        );
      }
      this.feed({ type: 'disconnected', intentional: true, message: 'monitoring stopped' });
    }
    return answered;
  }

  /** Reconnect now (e.g. after the password changed): a fresh session, a fresh LOGIN. */
  restart(): void {
    if (!this.running) return;
    if (this.connecting) {
      // The attempt under way may already hold the old password: restart once it settles.
      this.restartPending = true;
      return;
    }
    this.dropClient(false);
    this.reconnectAttempt = 0;
    this.connectSoon(0);
  }

  suspend(): void {
    this.feed({ type: 'suspend' });
  }

  resume(): void {
    // Pre-sleep replies must not arrive after this point.
    this.generation += 1;
    this.feed({ type: 'resume' });
  }

  /** Like `upsmon -c fsd` on this machine: run the local shutdown sequence. */
  requestLocalFsd(source: string): void {
    this.feed({ type: 'local-fsd-requested', source });
  }

  /** MINSUPPLIES (host-level): the supplies of all UPSes fell short; `detail` names the critical ones. */
  suppliesShort(detail: string): void {
    this.feed({ type: 'supplies-short', detail });
  }

  latchedFsdChoice(choice: 'obey' | 'ignore'): void {
    this.feed({ type: 'latched-fsd-choice', choice });
  }

  acknowledgeEpisode(): void {
    this.feed({ type: 'episode-acknowledged' });
  }

  // ------------------------------------------------------------------------------------------
  // The decision core

  private feed(input: MonitorInput): void {
    const result = step(this.state, input, this.deps.clock.monotonic(), this.settings.decision);
    this.state = result.state;
    for (const effect of result.effects) this.apply(effect);
    this.scheduleWake();
  }

  private apply(effect: MonitorEffect): void {
    const { sink, logger } = this.deps;
    switch (effect.type) {
      case 'notify':
        sink.notify(this, effect);
        break;
      case 'begin-shutdown':
        sink.beginShutdown(this, effect);
        break;
      case 'run-shutdown-command':
        sink.runShutdownCommand(this, effect).then(
          (result) =>
            this.feed({
              type: 'shutdown-command-finished',
              ok: result.ok,
              ...(result.detail ? { detail: result.detail } : {}),
              ...(result.dryRun ? { dryRun: true } : {}),
            }),
          (error: unknown) =>
            this.feed({ type: 'shutdown-command-finished', ok: false, detail: String(error) }),
        );
        break;
      case 'close-session':
        // The master stops waiting for us only once our session is gone: close it now.
        this.dropClient(true);
        break;
      case 'reconnect-now':
        this.dropClient(false);
        this.reconnectAttempt = 0;
        this.connectSoon(0);
        break;
      case 'state-changed':
        sink.changed(this);
        this.emit('changed');
        break;
      case 'log':
        logger.log(effect.level, effect.message, { monitorId: this.monitorId });
        break;
    }
  }

  private scheduleWake(): void {
    this.clearTimer('wake');
    if (!this.running) return;
    const at = nextWakeAt(this.state, this.settings.decision);
    if (at === null) return;
    const delay = Math.max(0, at - this.deps.clock.monotonic());
    this.timers.wake = this.deps.clock.setTimeout(() => {
      delete this.timers.wake;
      this.feed({ type: 'tick' });
    }, delay);
  }

  // ------------------------------------------------------------------------------------------
  // Connection

  private connectSoon(delayMs: number): void {
    if (!this.running || this.timers.reconnect) return;
    this.timers.reconnect = this.deps.clock.setTimeout(() => {
      delete this.timers.reconnect;
      void this.connectOnce();
    }, delayMs);
  }

  private nextReconnectDelay(): number {
    const now = this.deps.clock.monotonic();
    this.outageSince ??= now;
    const view = this.view;
    const delay = reconnectDelayMs({
      attempt: this.reconnectAttempt,
      outageMs: now - this.outageSince,
      urgent: view.line !== 'online' || view.lowBattery,
      random: this.random,
    });
    this.reconnectAttempt += 1;
    return delay;
  }

  private connectOptions(): NutClientOptions {
    const { settings } = this;
    return {
      host: settings.host,
      port: settings.port,
      connectTimeoutMs: settings.timing.connectTimeoutSeconds * 1000,
      requestTimeoutMs: settings.timing.requestTimeoutSeconds * 1000,
      keepAliveIntervalMs: KEEPALIVE_MS,
      tcpKeepAliveMs: 15_000,
      tls: {
        ...nutTlsOptions(settings.tls),
        // A server that answers OK STARTTLS and then stalls is bounded like a connect.
        handshakeTimeoutMs: settings.timing.connectTimeoutSeconds * 1000,
      },
    };
  }

  private async connectOnce(): Promise<void> {
    if (!this.running || !this.state.sessionWanted || this.client || this.connecting) return;
    this.connecting = true;
    const generation = ++this.generation;
    const { settings } = this;
    let client: NutClient | null = null;
    try {
      client = await this.connectFn(this.connectOptions());
      if (!this.running || generation !== this.generation) {
        await client.close();
        return;
      }
      this.client = client;
      this.localAddressValue = client.localAddress ? normalizeAddress(client.localAddress) : null;
      const declined = client.tlsDeclinedCode ?? null;
      this.tlsLink = {
        link: client.tlsActive
          ? 'encrypted'
          : declined !== null
            ? 'plaintext-fallback'
            : 'plaintext',
        protocol: client.tlsProtocol ?? null,
        declinedCode: declined,
      };
      if (declined === null) this.plaintextWarned = false;
      const connected = client;
      client.on('close', (cause) => this.onClientClosed(connected, cause));
      await this.identify(client);
      this.feed({ type: 'connected' });
      // A LOGIN retry reconnects every minute: log the connection only when it is news.
      if (this.state.login.kind !== 'refused') {
        this.deps.sink.system(
          this,
          'CONNECTED',
          'info',
          `Connected to ${settings.host}:${settings.port}${client.tlsActive ? ' (TLS)' : ''}`,
        );
      }
      if (settings.ups.role === 'secondary') await this.login(client);
      this.reconnectAttempt = 0;
      this.schedulePolls(true);
    } catch (error) {
      if (client && this.client === client) this.dropClient(false);
      if (generation !== this.generation && !this.running) return;
      const nutError = asNutError(error);
      this.lastErrorValue = diagnosisOf(nutError);
      this.feed({
        type: 'poll-failed',
        reason: nutError.kind === 'timeout' ? 'timeout' : 'connection',
        message: nutError.explanation,
      });
      this.connectSoon(this.nextReconnectDelay());
    } finally {
      this.connecting = false;
      if (this.restartPending) {
        this.restartPending = false;
        this.restart();
      }
    }
  }

  private async identify(client: NutClient): Promise<void> {
    try {
      const capabilities = await client.capabilities();
      this.identity = {
        kind: detectedServerKind(capabilities.serverVersion, capabilities.isSynology),
        version: capabilities.serverVersion,
        protocol: capabilities.protVer ?? capabilities.netVer,
      };
      this.notPermitted = null;
    } catch (error) {
      if (asNutError(error).connectionLost) throw error;
      // ACCESS-DENIED even for VER and LIST UPS: a Synology NAS that does not permit this machine.
      if (hasServerCode(error, 'ACCESS-DENIED')) {
        const listRefused = await client.listUps().then(
          () => false,
          (listError: unknown) => {
            if (asNutError(listError).connectionLost) throw listError;
            return hasServerCode(listError, 'ACCESS-DENIED');
          },
        );
        this.notPermitted = listRefused
          ? notPermittedDiagnosis(
              this.localAddressValue,
              ipv6OnSameInterface(this.localAddressValue),
            )
          : null;
      }
      // Otherwise an odd VER/NETVER answer is not worth failing the session for.
    }
  }

  /** An ACCESS-DENIED from a master that refuses this machine everything is explained as such. */
  private diagnosisFor(error: NutError): Diagnosis {
    return this.notPermitted && error.code === 'ACCESS-DENIED'
      ? this.notPermitted
      : diagnosisOf(error);
  }

  private async login(client: NutClient): Promise<void> {
    const { ups } = this.settings;
    try {
      const password = await this.deps.password().catch((error: unknown) => {
        // A missing env var or unreadable password file is a configuration error like a wrong password.
        throw new NutError({
          kind: 'argument',
          code: 'PASSWORD-UNAVAILABLE',
          explanation: error instanceof Error ? error.message : String(error),
          fix:
            error instanceof Error && 'fix' in error
              ? String(error.fix)
              : 'Check where this UPS entry’s password comes from.',
        });
      });
      if (ups.username !== '' && client.tlsDeclinedCode !== undefined && !this.plaintextWarned) {
        // Opportunistic TLS fell back: say so once, since the credentials now cross the network readable.
        this.plaintextWarned = true;
        this.deps.sink.system(
          this,
          'TLS_PLAINTEXT_FALLBACK',
          'warning',
          `${this.settings.host}:${this.settings.port} declined STARTTLS (ERR ${client.tlsDeclinedCode}): the user name and password for ${this.systemName} are sent in plain text. If this master has a certificate, pin it (TLS becomes required); if it never offers TLS, set TLS to off to silence this.`,
        );
      }
      if (ups.username !== '') await client.authenticate(ups.username, password ?? '');
      await client.login(ups.name);
      this.clearTimer('loginRetry');
      if (
        this.lastErrorValue?.code !== undefined &&
        LOGIN_REFUSAL_CODES.has(this.lastErrorValue.code)
      )
        this.lastErrorValue = null;
      this.feed({ type: 'login-result', result: 'ok' });
      this.deps.sink.system(
        this,
        'LOGIN',
        'info',
        `Logged in to ${this.systemName} as ${ups.username || '(no user)'}`,
      );
    } catch (error) {
      const nutError = asNutError(error);
      if (nutError.connectionLost) throw nutError;
      // Loud: without LOGIN the master does not count this machine and will not wait for it.
      this.lastErrorValue = this.diagnosisFor(nutError);
      this.feed({
        type: 'login-result',
        result: 'refused',
        reason: `${nutError.code}: ${nutError.explanation}`,
      });
      // One incident, one event: the LOGIN_REFUSED notification (with the fix in its data) is it.
      this.clearTimer('loginRetry');
      this.timers.loginRetry = this.deps.clock.setTimeout(() => {
        delete this.timers.loginRetry;
        if (this.client === client && this.state.login.kind === 'refused') {
          this.dropClient(false);
          this.connectSoon(0);
        }
      }, LOGIN_RETRY_MS);
    }
  }

  private onClientClosed(client: NutClient, cause: NutError | undefined): void {
    if (this.client !== client) return;
    this.client = null;
    this.generation += 1;
    this.stopPolling();
    this.closePollClient();
    // Closed before it was established (while identifying the server: e.g. a web server on the
    // port): not a lost connection. connectOnce reports it as a failed connect, once per streak,
    // and schedules the retry; a DISCONNECTED event here would repeat at every attempt.
    if (!this.state.connected) return;
    if (cause) this.lastErrorValue = diagnosisOf(cause);
    this.feed({ type: 'disconnected', message: cause?.explanation ?? 'connection closed' });
    // A timeout or a protocol violation (too long, too much, garbage) on the session connection means
    // the server cannot be read: comm loss now, not only once a reconnect fails. A plain close
    // (upsd restarted) is left to the reconnect, which usually reads the status again at once.
    if (cause && (cause.kind === 'timeout' || cause.kind === 'protocol')) {
      this.feed({ type: 'poll-failed', reason: failureReason(cause), message: cause.explanation });
    }
    if (cause)
      this.deps.sink.system(
        this,
        'DISCONNECTED',
        'warning',
        `Connection to ${this.settings.host}:${this.settings.port} lost: ${cause.explanation}`,
      );
    this.connectSoon(this.nextReconnectDelay());
  }

  /** Close the current connection (LOGOUT first when `logout`); the close handler does not reconnect for it. */
  private dropClient(logout: boolean): void {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.generation += 1;
    this.stopPolling();
    this.closePollClient();
    this.clearTimer('loginRetry');
    void client.close().then(() => {
      if (!logout) return;
      this.deps.sink.system(
        this,
        'LOGOUT',
        'info',
        `Logged out of ${this.systemName} and closed the session`,
      );
      if (this.running) void this.rereadClients();
    });
    this.feed({
      type: 'disconnected',
      intentional: true,
      message: logout ? 'session closed for shutdown' : 'reconnecting',
    });
  }

  // ------------------------------------------------------------------------------------------
  // Polling

  /**
   * Polls now (when `immediately`), then on the shared ticks: ups.status every statusPollSeconds,
   * every variable + clients every fullPollSeconds. A tick that finds the previous poll of its kind
   * still waiting for its reply is skipped.
   */
  private schedulePolls(immediately: boolean): void {
    const { timing } = this.settings;
    this.stopPolling();
    if (immediately) {
      void this.pollStatus();
      void this.pollFull();
    }
    this.unsubscribePolls = [
      this.ticker.every(timing.statusPollSeconds * 1000, () => void this.pollStatus()),
      this.ticker.every(timing.fullPollSeconds * 1000, () => void this.pollFull()),
    ];
  }

  private stopPolling(): void {
    for (const unsubscribe of this.unsubscribePolls) unsubscribe();
    this.unsubscribePolls = [];
  }

  private async pollStatus(): Promise<void> {
    const client = this.client;
    if (!client || this.statusInFlight) return;
    this.statusInFlight = true;
    const generation = this.generation;
    try {
      const status = await client.getVar(this.settings.ups.name, 'ups.status');
      if (generation !== this.generation) return;
      this.statusAtMs = this.deps.clock.now();
      this.outageSince = null;
      if (this.lastErrorValue && !isLoginError(this.lastErrorValue)) this.lastErrorValue = null;
      const alarm = this.variablesCache.get('ups.alarm');
      const fsdBefore = this.state.flags.fsd;
      this.feed(alarm ? { type: 'status-read', status, alarm } : { type: 'status-read', status });
      // FSD makes the secondaries leave: read the clients now, not at the next full poll.
      if (!fsdBefore && this.state.flags.fsd) void this.pollFull();
    } catch (error) {
      if (generation !== this.generation) return;
      const nutError = asNutError(error);
      // A dead connection reports through its close handler (disconnected, then reconnect).
      if (nutError.connectionLost) return;
      this.lastErrorValue = this.diagnosisFor(nutError);
      this.feed({
        type: 'poll-failed',
        reason: failureReason(nutError),
        message: nutError.explanation,
      });
    } finally {
      this.statusInFlight = false;
    }
  }

  private async pollFull(): Promise<void> {
    if (!this.client || this.fullInFlight) return;
    if (this.pollClient === null && this.deps.clock.monotonic() < this.pollRetryAt) return;
    this.fullInFlight = true;
    const generation = this.generation;
    const ups = this.settings.ups.name;
    let used: NutClient | null = null;
    try {
      const client = this.pollClient ?? (await this.openPollClient(generation));
      if (!client) return;
      used = client;
      // One write for the three requests.
      const [variables, addresses, numLogins] = await client.pipeline(() =>
        Promise.all([
          client.listVar(ups).catch(softFail),
          client.listClient(ups).catch(softFail),
          client.getNumLogins(ups).catch(softFail),
        ]),
      );
      if (generation !== this.generation) return;
      this.pollFailures = 0;
      if (this.lastPollFailureLogged !== null) {
        this.lastPollFailureLogged = null;
        this.deps.sink.system(
          this,
          'FULL_POLL_OK',
          'info',
          `Reading the variables of ${this.systemName} works again`,
        );
      }
      const now = this.deps.clock.now();
      if (variables) {
        this.variablesCache = variables;
        this.variablesAtMs = now;
      }
      this.clientsCache = {
        addresses: addresses ? addresses.map(normalizeAddress) : null,
        numLogins: numLogins ?? null,
        at: now,
      };
      if (addresses) void this.resolveHostnames(addresses);
      this.deps.sink.changed(this);
      this.emit('changed');
    } catch (error) {
      // softFail turns server errors into null; anything else lost the poll connection (already
      // reported by its close handler when it was open).
      if (generation === this.generation && (used === null || this.pollClient === used))
        this.pollConnectionFailed(asNutError(error));
    } finally {
      this.fullInFlight = false;
    }
  }

  /**
   * After this machine logged out, the master's counts changed at once: read LIST CLIENT and
   * NUMLOGINS once on a throw-away read-only connection, so the card never shows "this machine"
   * among the logged-in clients of a session that is gone. Best effort: the next poll corrects it.
   */
  private async rereadClients(): Promise<void> {
    const ups = this.settings.ups.name;
    let client: NutClient | null = null;
    try {
      client = await this.connectFn(this.connectOptions());
      const [addresses, numLogins] = await Promise.all([
        client.listClient(ups).catch(softFail),
        client.getNumLogins(ups).catch(softFail),
      ]);
      // A new session (the rehearsal's re-login) polls on its own; do not overwrite its reading.
      if (this.client !== null || !this.running) return;
      this.clientsCache = {
        addresses: addresses ? addresses.map(normalizeAddress) : null,
        numLogins: numLogins ?? null,
        at: this.deps.clock.now(),
      };
      this.deps.sink.changed(this);
      this.emit('changed');
    } catch {
      // unreachable now: the next session's full poll reads the counts
    } finally {
      await client?.close();
    }
  }

  /** Opens the read-only poll connection (no credentials, no LOGIN); null when the session moved on meanwhile. */
  private async openPollClient(generation: number): Promise<NutClient | null> {
    const client = await this.connectFn(this.connectOptions());
    if (!this.running || generation !== this.generation || !this.client) {
      await client.close();
      return null;
    }
    this.pollClient = client;
    client.on('close', (cause) => {
      if (this.pollClient !== client) return;
      this.pollClient = null;
      if (cause) this.pollConnectionFailed(cause);
    });
    return client;
  }

  /** The poll connection failed (or could not be opened): close it, back off, say so once per streak. Not comm loss. */
  private pollConnectionFailed(error: NutError): void {
    const client = this.pollClient;
    this.pollClient = null;
    if (client) void client.close();
    this.pollFailures += 1;
    const fullPollMs = this.settings.timing.fullPollSeconds * 1000;
    const backoff = Math.min(POLL_RETRY_MAX_MS, fullPollMs * 2 ** (this.pollFailures - 1));
    this.pollRetryAt =
      this.deps.clock.monotonic() + Math.round(backoff * (0.75 + this.random() * 0.5));
    this.deps.logger.log(
      'warn',
      `${this.systemName}: full poll failed (${error.code}): ${error.explanation}`,
      { monitorId: this.monitorId },
    );
    if (this.lastPollFailureLogged === error.code) return;
    this.lastPollFailureLogged = error.code;
    this.deps.sink.system(
      this,
      'FULL_POLL_FAILED',
      'warning',
      `Reading the variables of ${this.systemName} failed (${error.code}): ${error.explanation} The status poll is not affected; retrying with back-off.`,
    );
  }

  private closePollClient(): void {
    const client = this.pollClient;
    this.pollClient = null;
    this.pollFailures = 0;
    this.pollRetryAt = 0;
    if (client) void client.close();
  }

  private async resolveHostnames(addresses: readonly string[]): Promise<void> {
    const lookup = this.deps.reverseLookup;
    if (!lookup) return;
    // Only the addresses of the latest LIST CLIENT are kept (bounded by the LIST cap); those without
    // a name are asked again: the lookup (ReverseDnsCache in production) is cached and rate-limited.
    const current = new Set(addresses);
    for (const known of [...this.hostnames.keys()])
      if (!current.has(known)) this.hostnames.delete(known);
    const unnamed = [...current].filter((a) => (this.hostnames.get(a) ?? null) === null);
    if (unnamed.length === 0) return;
    let named = 0;
    await Promise.all(
      unnamed.map(async (address) => {
        const name = await lookup(address).catch(() => null);
        this.hostnames.set(address, name);
        if (name !== null) named += 1;
      }),
    );
    if (named > 0) this.deps.sink.changed(this);
  }

  private clearTimer(key: keyof typeof this.timers): void {
    const handle = this.timers[key];
    if (handle) this.deps.clock.clearTimeout(handle);
    delete this.timers[key];
  }
}

/** Server errors of optional reads (LIST CLIENT on Synology, NUMLOGINS while stale) become null. */
function softFail(error: unknown): null {
  const nutError = asNutError(error);
  if (nutError.connectionLost) throw nutError;
  return null;
}

function failureReason(error: NutError): PollFailureReason {
  if (error.kind === 'server') {
    switch (error.code) {
      case 'DATA-STALE':
        return 'data-stale';
      case 'DRIVER-NOT-CONNECTED':
        return 'driver-not-connected';
      case 'UNKNOWN-UPS':
        return 'unknown-ups';
      case 'ACCESS-DENIED':
        return 'access-denied';
      default:
        return 'other';
    }
  }
  if (error.kind === 'timeout') return 'timeout';
  if (error.kind === 'protocol') return 'protocol';
  return 'connection';
}

function isLoginError(diagnosis: Diagnosis): boolean {
  return LOGIN_REFUSAL_CODES.has(diagnosis.code);
}

export function diagnosisOf(error: NutError): Diagnosis {
  return { code: error.code, explanation: error.explanation, fix: error.fix };
}

function asNutError(error: unknown): NutError {
  if (error instanceof NutError) return error;
  return new NutError({
    kind: 'protocol',
    code: 'INTERNAL',
    explanation: error instanceof Error ? error.message : String(error),
    fix: 'This is a bug in NUT Sentinel; please report it with the log.',
    cause: error,
  });
}
