/**
 * Instant commands and writable settings of a monitored UPS (shared/ups-commands.ts): what the UPS
 * offers (LIST CMD + CMDDESC, LIST RW + TYPE/ENUM/RANGE/DESC, on an anonymous connection), and
 * INSTCMD / SET VAR with a credential that has the right, on a short-lived connection of its own
 * (never the monitoring session's). Results come from TRACKING on NUT 2.8.0+, else from upsd's
 * immediate reply (main/ups-commands/outcome.ts).
 *
 * Guard rules enforced here (the UI shows them, the core decides): a command that cuts power,
 * drains the battery or bypasses it needs `confirmUpsName` equal to the UPS name; a timed beeper
 * mute switches the beeper back on by a timer in the core (and at stop, so it never stays off
 * because the app quit).
 */
import * as z from 'zod';
import {
  type Config,
  type Master,
  type MonitorTarget,
  findMonitorTarget,
} from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { rightsWordsFor } from '../../shared/rights';
import {
  type ActionOutcome,
  BEEPER_ENABLE_COMMAND,
  BEEPER_SILENCE_COMMANDS,
  COMMAND_CREDENTIAL_EVENT,
  type CommandCredentialSchema,
  DANGER_TEXT,
  type RunCommandRequestSchema,
  type SetVariableRequestSchema,
  type UpsControls,
  type UpsWritable,
  commandDanger,
} from '../../shared/ups-commands';
import type { NutClient, NutClientOptions, NutCapabilities } from '../nut/client';
import { ApiRequestError } from '../platform/api-request-error';
import type { Clock, Logger, SecretStore, TimerHandle } from '../platform/ports';
import { type ActionContext, answeredOutcome, errorOutcome } from './outcome';
import { nutTlsOptions } from '../nut/tls-settings';

export interface UpsCommandsDeps {
  config(): Config;
  /** null in the headless agent: the credential is typed in (or read from an env var by the CLI). */
  secrets: SecretStore | null;
  /** Known secret values are masked in recorded output and never written to the config file. */
  rememberSecret(value: string): void;
  connect(options: NutClientOptions): Promise<NutClient>;
  /** Appends to the event log (and pushes it to the UI). */
  recordEvent(event: StoredEvent): void;
  clock: Clock;
  logger: Logger;
  tuning?: {
    /** How long to poll GET TRACKING (default 10 s, upscmd's default). */
    trackingTimeoutMs?: number;
    trackingPollMs?: number;
  };
}

export type Target = MonitorTarget;

export interface Credential {
  username: string;
  password: string;
}

type CredentialInput = z.output<typeof CommandCredentialSchema>;
export type RunCommandInput = z.output<typeof RunCommandRequestSchema>;
export type SetVariableInput = z.output<typeof SetVariableRequestSchema>;

const StoredCredentialSchema = z.object({ username: z.string().min(1), password: z.string() });

/** The secret-store key of a UPS's remembered command credential (apart from the monitoring password). */
export function commandCredentialKey(masterId: string, upsName: string): string {
  return `nut-command-credential:${masterId}:${upsName}`;
}

export const findTarget = findMonitorTarget;

/** A short-lived connection to the master with the monitor's TLS settings (no LOGIN). */
export function connectToMaster(
  deps: Pick<UpsCommandsDeps, 'connect' | 'config'>,
  master: Master,
): Promise<NutClient> {
  const { timing } = deps.config();
  return deps.connect({
    host: master.host,
    port: master.port,
    connectTimeoutMs: timing.connectTimeoutSeconds * 1000,
    requestTimeoutMs: timing.requestTimeoutSeconds * 1000,
    keepAliveIntervalMs: 0,
    tls: nutTlsOptions(master.tls),
  });
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'explanation' in error)
    return String(error.explanation);
  return error instanceof Error ? error.message : String(error);
}

export class UpsCommands {
  /** Timed mutes by monitorId: the timer that switches the beeper back on. */
  private readonly mutes = new Map<
    string,
    { timer: TimerHandle; target: Target; credential: Credential; revertAt: number }
  >();
  private stopped = false;

  constructor(private readonly deps: UpsCommandsDeps) {}

  requireTarget(monitorId: string): Target {
    const target = findTarget(this.deps.config(), monitorId);
    if (!target)
      throw new ApiRequestError({
        code: 'UNKNOWN-MONITOR',
        message: `No monitored UPS ${monitorId}.`,
        fix: 'Pick one of the configured UPSes (MASTER-ID/UPS-NAME).',
      });
    return target;
  }

  async storedCredential(target: Target): Promise<Credential | null> {
    if (!this.deps.secrets) return null;
    const raw = await this.deps.secrets.get(
      commandCredentialKey(target.master.id, target.ups.name),
    );
    if (raw === undefined) return null;
    try {
      const parsed = StoredCredentialSchema.parse(JSON.parse(raw));
      this.deps.rememberSecret(parsed.password);
      return parsed;
    } catch {
      return null;
    }
  }

  /** The credential of a request: typed in (and maybe remembered), or the remembered one. */
  async resolveCredential(target: Target, given: CredentialInput): Promise<Credential> {
    if (given.source === 'entered') {
      this.deps.rememberSecret(given.password);
      if (given.remember) {
        if (!this.deps.secrets)
          throw new ApiRequestError({
            code: 'NO-SECRET-STORE',
            message: 'The command credential cannot be remembered here: there is no secret store.',
            fix: 'Leave "remember" off and enter the credential each time (the CLI reads the password from an environment variable).',
          });
        await this.deps.secrets.set(
          commandCredentialKey(target.master.id, target.ups.name),
          JSON.stringify({ username: given.username, password: given.password }),
        );
        this.record(
          target,
          COMMAND_CREDENTIAL_EVENT,
          'info',
          `Command credential for ${target.monitorId} saved (user "${given.username}"); it is kept in the secret store, apart from the monitoring password.`,
          { username: given.username },
        );
      }
      return { username: given.username, password: given.password };
    }
    const stored = await this.storedCredential(target);
    if (!stored)
      throw new ApiRequestError({
        code: 'NO-STORED-CREDENTIAL',
        message: this.deps.secrets
          ? `No command credential is remembered for ${target.monitorId}.`
          : 'There is no secret store here, so no command credential can be remembered.',
        fix: 'Enter the user and password of a upsd.users entry with the right (instcmds = … / actions = SET).',
      });
    return stored;
  }

  async forgetCredential(monitorId: string): Promise<boolean> {
    const target = this.requireTarget(monitorId);
    if (!this.deps.secrets) return false;
    const key = commandCredentialKey(target.master.id, target.ups.name);
    const existed = (await this.deps.secrets.get(key)) !== undefined;
    await this.deps.secrets.delete(key);
    return existed;
  }

  /** What the UPS offers: its commands and writable variables, read without a credential. */
  async listControls(monitorId: string): Promise<UpsControls> {
    const target = this.requireTarget(monitorId);
    const upsName = target.ups.name;
    const client = await connectToMaster(this.deps, target.master);
    try {
      const capabilities = await client.capabilities();
      const names = await client.listCmd(upsName);
      const offered = new Set(names.map((n) => n.toLowerCase()));
      const commands = [];
      for (const name of names) {
        const description = await client.getCmdDesc(upsName, name).catch(() => null);
        const lower = name.toLowerCase();
        commands.push({
          name,
          description: description && description !== 'Unavailable' ? description : null,
          danger: commandDanger(name),
          timedMute:
            (BEEPER_SILENCE_COMMANDS as readonly string[]).includes(lower) &&
            offered.has(BEEPER_ENABLE_COMMAND),
        });
      }
      const writable: UpsWritable[] = [];
      const rw = await client.listRw(upsName);
      const descriptions = await client
        .getDescriptions(upsName, [...rw.keys()])
        .catch(() => new Map<string, string>());
      for (const [name, value] of rw) {
        const type = await client.getType(upsName, name).catch(() => null);
        const choices = type?.enum
          ? await client.listEnum(upsName, name).catch(() => [] as string[])
          : [];
        const ranges = type?.range
          ? await client.listRange(upsName, name).catch(() => [] as { min: number; max: number }[])
          : [];
        const description = descriptions.get(name);
        writable.push({
          name,
          value,
          description: description && description !== 'Unavailable' ? description : null,
          input:
            choices.length > 0
              ? 'enum'
              : ranges.length > 0
                ? 'range'
                : type?.kind === 'NUMBER'
                  ? 'number'
                  : 'string',
          choices,
          ranges,
          maxLength: type?.maxLength ?? null,
        });
      }
      const stored = await this.storedCredential(target);
      return {
        monitorId,
        upsName,
        commands: commands.sort((a, b) => a.name.localeCompare(b.name)),
        writable: writable.sort((a, b) => a.name.localeCompare(b.name)),
        tracking: capabilities.supportsTracking,
        server: { version: capabilities.serverVersion, protVer: capabilities.protVer ?? null },
        storedCredentialUser: stored?.username ?? null,
        canRemember: this.deps.secrets !== null,
      };
    } finally {
      await client.close();
    }
  }

  /**
   * Sends one INSTCMD or SET VAR with `credential` on its own connection and waits for the
   * TRACKING verdict where the server has it. Never throws for what upsd or the driver answered:
   * that is the outcome. Throws only for a request that is wrong before anything is sent.
   */
  async execute(
    target: Target,
    credential: Credential,
    action:
      | { kind: 'command'; name: string; param?: string }
      | { kind: 'set'; name: string; value: string },
  ): Promise<ActionOutcome> {
    const started = this.deps.clock.monotonic();
    const at = this.deps.clock.now();
    let capabilities: NutCapabilities | null = null;
    const context = (): ActionContext => ({
      monitorId: target.monitorId,
      kind: action.kind,
      name: action.name,
      value: action.kind === 'set' ? action.value : (action.param ?? null),
      username: credential.username,
      words: rightsWordsFor(
        capabilities ? { protVer: capabilities.protVer, synology: capabilities.isSynology } : null,
      ),
      tracking: capabilities?.supportsTracking ?? false,
      at,
      durationMs: Math.round(this.deps.clock.monotonic() - started),
    });
    let client: NutClient | null = null;
    try {
      client = await connectToMaster(this.deps, target.master);
      capabilities = await client.capabilities();
      await client.authenticate(credential.username, credential.password);
      const options = {
        waitForResult: capabilities.supportsTracking,
        timeoutMs: this.deps.tuning?.trackingTimeoutMs ?? 10_000,
        pollIntervalMs: this.deps.tuning?.trackingPollMs ?? 250,
      };
      const result =
        action.kind === 'command'
          ? await client.instCmd(target.ups.name, action.name, action.param, options)
          : await client.setVar(target.ups.name, action.name, action.value, options);
      return answeredOutcome(context(), result);
    } catch (error) {
      return errorOutcome(context(), error);
    } finally {
      await client?.close().catch(() => undefined);
    }
  }

  async runCommand(request: RunCommandInput): Promise<ActionOutcome> {
    const target = this.requireTarget(request.monitorId);
    const danger = commandDanger(request.command);
    if (danger && request.confirmUpsName !== target.ups.name) {
      throw new ApiRequestError({
        code: 'CONFIRMATION-REQUIRED',
        message: `${request.command} ${DANGER_TEXT[danger]}: type the UPS name (${target.ups.name}) to confirm.`,
        fix: `Type "${target.ups.name}" exactly to send ${request.command}.`,
      });
    }
    const credential = await this.resolveCredential(target, request.credential);
    const lower = request.command.toLowerCase();
    const silencing = (BEEPER_SILENCE_COMMANDS as readonly string[]).includes(lower);
    const outcome = await this.execute(target, credential, {
      kind: 'command',
      name: request.command,
      ...(request.param !== undefined ? { param: request.param } : {}),
    });
    const minutes = request.muteMinutes ?? 0;
    if (silencing && minutes > 0 && (outcome.state === 'success' || outcome.state === 'sent')) {
      outcome.revertAt = this.scheduleUnmute(target, credential, minutes);
      outcome.message += ` The beeper is switched back on (${BEEPER_ENABLE_COMMAND}) in ${minutes} min.`;
    } else if (lower === BEEPER_ENABLE_COMMAND) {
      this.cancelUnmute(target.monitorId);
    }
    this.recordOutcome(target, outcome);
    return outcome;
  }

  async setVariable(request: SetVariableInput): Promise<ActionOutcome> {
    const target = this.requireTarget(request.monitorId);
    const credential = await this.resolveCredential(target, request.credential);
    const outcome = await this.execute(target, credential, {
      kind: 'set',
      name: request.name,
      value: request.value,
    });
    this.recordOutcome(target, outcome);
    return outcome;
  }

  /** When a timed mute of this UPS ends (null: none). */
  unmuteAt(monitorId: string): number | null {
    return this.mutes.get(monitorId)?.revertAt ?? null;
  }

  /** Switches every muted beeper back on now (the app is quitting), then forgets the timers. */
  async stop(): Promise<void> {
    this.stopped = true;
    const pending = [...this.mutes.values()];
    for (const mute of pending) this.deps.clock.clearTimeout(mute.timer);
    this.mutes.clear();
    await Promise.all(pending.map((mute) => this.unmute(mute.target, mute.credential, 'stop')));
  }

  private scheduleUnmute(target: Target, credential: Credential, minutes: number): number {
    this.cancelUnmute(target.monitorId);
    const ms = minutes * 60_000;
    const revertAt = this.deps.clock.now() + ms;
    const timer = this.deps.clock.setTimeout(() => {
      this.mutes.delete(target.monitorId);
      void this.unmute(target, credential, 'timer');
    }, ms);
    this.mutes.set(target.monitorId, { timer, target, credential, revertAt });
    return revertAt;
  }

  private cancelUnmute(monitorId: string): void {
    const mute = this.mutes.get(monitorId);
    if (!mute) return;
    this.deps.clock.clearTimeout(mute.timer);
    this.mutes.delete(monitorId);
  }

  private async unmute(
    target: Target,
    credential: Credential,
    why: 'timer' | 'stop',
  ): Promise<void> {
    try {
      const outcome = await this.execute(target, credential, {
        kind: 'command',
        name: BEEPER_ENABLE_COMMAND,
      });
      outcome.message =
        (why === 'timer' ? 'The timed mute ended: ' : 'NUT Sentinel is stopping: ') +
        outcome.message;
      this.recordOutcome(target, outcome);
    } catch (error) {
      this.deps.logger.log(
        'warn',
        `ups-commands: switching the beeper of ${target.monitorId} back on failed: ${errorText(error)}`,
      );
    }
  }

  private recordOutcome(target: Target, outcome: ActionOutcome): void {
    if (this.stopped && outcome.name !== BEEPER_ENABLE_COMMAND) return;
    const severity =
      outcome.state === 'success' || outcome.state === 'sent'
        ? 'info'
        : outcome.state === 'pending'
          ? 'warning'
          : 'warning';
    this.record(
      target,
      outcome.kind === 'command' ? 'INSTANT_COMMAND' : 'SET_VARIABLE',
      severity,
      outcome.message,
      {
        name: outcome.name,
        value: outcome.value,
        state: outcome.state,
        code: outcome.code,
        tracked: outcome.tracked,
      },
    );
  }

  record(
    target: Target,
    type: string,
    severity: StoredEvent['severity'],
    message: string,
    data?: Record<string, unknown>,
  ): void {
    this.deps.recordEvent({
      at: this.deps.clock.now(),
      monitorId: target.monitorId,
      kind: 'system',
      type,
      severity,
      message,
      ...(data ? { data } : {}),
    });
  }
}
