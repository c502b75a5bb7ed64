/**
 * The FSD test's preflight: everything the user should see BEFORE anything happens. It never
 * sends `FSD` and never LOGINs; every connection it opens is short-lived and read-only, except
 * the credential check, which sends `USERNAME`/`PASSWORD` + `PRIMARY <ups>` (falling back to
 * `MASTER <ups>`, as upsmon does) on a throw-away connection:
 *
 * - granted ⇒ the user has `upsmon primary` (or `master`), which includes the `fsd` action
 *   (main/nut/README.md §2). PRIMARY itself changes nothing on the server.
 * - ACCESS-DENIED ⇒ blocker: a secondary user (`upsmon secondary` grants only LOGIN) or a wrong
 *   password. Overridable, because a user with only `actions = FSD` can set FSD but not PRIMARY,
 *   and the protocol has no way to check the `fsd` action without setting FSD.
 *
 * The master's HOSTSYNC is not readable over the protocol: it comes from the request (default
 * 15 s, upsmon's default) and the preflight says so.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../shared/config';
import { feedingPower, feedsThisMachine, upsSystemName } from '../../shared/config';
import {
  DEFAULT_MASTER_HOSTSYNC_SECONDS,
  type FsdCheck,
  type FsdClient,
  type FsdPreflight,
  type FsdPreflightRequestSchema,
  type FsdReport,
  type FsdTimeBudget,
} from '../../shared/fsd-test';
import type * as z from 'zod';
import { eventPolicy } from '../hooks/hook-dispatcher';
import { defaultShutdownCommand } from '../hooks/shutdown-command';
import type { NutClient } from '../nut/client';
import { NutError, hasServerCode } from '../nut/errors';
import { parseStatus, statusHas } from '../monitor/status';
import { type RightsWords, rightsWordsFor, upsmonRight } from '../../shared/rights';
import { detectedServerKind } from '../../shared/snapshot';
import {
  type FsdTestDeps,
  type Target,
  connectToMaster,
  errorMessage,
  lookupName,
  matchesExpected,
  normalizeAddress,
} from './deps';
import { statusTokens } from '../../shared/status-tokens';

export type ParsedPreflightRequest = z.output<typeof FsdPreflightRequestSchema>;

export interface ResolvedCredential {
  username: string;
  password: string;
  source: 'entered' | 'stored';
}

export interface PreflightInput {
  request: ParsedPreflightRequest;
  target: Target;
  /** Master mode: the credential to check (null: none given or none stored). */
  credential: ResolvedCredential | null;
  /** Why there is no credential (e.g. "none is stored for this UPS"). */
  credentialProblem?: string;
  storedCredentialAvailable: boolean;
  /** The latest completed local-mode report of this UPS (for the measured shutdown duration). */
  lastLocalReport: FsdReport | null;
}

export interface PreflightResult {
  preflight: FsdPreflight;
  /** Kept in memory for `fsd:start`; never part of the preflight itself. */
  credential: ResolvedCredential | null;
}

/** What grants FSD, in the words this server understands (pre-2.8: `upsmon master|slave`). */
function primaryRightsExplanation(words: RightsWords): string {
  const primary = upsmonRight(words, 'primary');
  const secondary = upsmonRight(words, 'secondary');
  return (
    `upsd checks rights only on privileged commands. \`${primary}\` grants LOGIN, PRIMARY/MASTER and FSD; ` +
    `\`${secondary}\` grants LOGIN only; \`actions = FSD\` grants FSD but not PRIMARY.`
  );
}

function primaryRightsFix(words: RightsWords): string {
  return (
    `Use the master’s own primary user (the user in the MONITOR … primary/master line of the master’s upsmon.conf; on a Synology NAS \`monuser\` is \`upsmon master\`), ` +
    'or add `actions = FSD` to this user in the master’s upsd.users and reload upsd (`upsd -c reload`). ' +
    `A user that has only \`actions = FSD\` cannot be verified without really setting FSD: override this blocker if that is your setup. (This server understands \`${upsmonRight(words, 'primary')}\`.)`
  );
}

/** What every check of one preflight run needs. */
interface PreflightContext {
  deps: FsdTestDeps;
  input: PreflightInput;
  config: Config;
  master: Target['master'];
  ups: Target['ups'];
  isMaster: boolean;
  systemName: string;
  session: ReturnType<FsdTestDeps['session']>;
  /** Appends a check; the order of the calls is the order the user reads them in. */
  add: (check: Omit<FsdCheck, 'overridable'> & { overridable?: boolean }) => void;
}

/** What the read-only connection to the master found out. */
interface MasterReading {
  reachable: boolean;
  version: string | null;
  protocol: string | null;
  isSynology: boolean;
  status: string | null;
  statusError: NutError | null;
  variables: Map<string, string>;
  addresses: string[] | null;
  listError: string | null;
  numLogins: number | null;
  numLoginsError: string | null;
}

/**
 * The preflight, as a sequence of named checks. Each step adds its checks (in the order the user
 * reads them) and returns what later steps and the preflight itself need.
 */
export async function runPreflight(
  deps: FsdTestDeps,
  input: PreflightInput,
): Promise<PreflightResult> {
  const { request, target } = input;
  const { master, ups } = target;
  const config = deps.config();
  const now = deps.clock.now();
  const isMaster = request.mode === 'master';
  const checks: FsdCheck[] = [];
  const ctx: PreflightContext = {
    deps,
    input,
    config,
    master,
    ups,
    isMaster,
    systemName: upsSystemName(master, ups.name),
    session: deps.session(target.monitorId),
    add: (check) => checks.push({ overridable: false, ...check }),
  };

  const reading = await readMaster(ctx);
  const fsdLatched = checkUpsStatus(ctx, reading);
  const clients = await checkClients(ctx, reading);
  const credential = await checkCredential(ctx, reading);
  const thisMachine = checkThisMachine(ctx);
  const budget = checkTimeBudget(ctx, reading.variables, thisMachine.role);

  const blockers = checks.filter((check) => check.status === 'blocker');
  const preflight: FsdPreflight = {
    id: randomUUID(),
    at: now,
    expiresAt: now + (deps.tuning?.preflightTtlMs ?? 600_000),
    monitorId: target.monitorId,
    mode: request.mode,
    upsName: ups.name,
    systemName: ctx.systemName,
    dryRun: isMaster ? true : request.dryRun,
    master: {
      host: master.host,
      port: master.port,
      reachable: reading.reachable,
      kind: detectedServerKind(reading.version, reading.isSynology),
      version: reading.version,
      protocol: reading.protocol,
    },
    ups: {
      status: reading.status,
      fsdLatched,
      batteryCharge: numeric(reading.variables, 'battery.charge'),
      batteryRuntimeSeconds: budget.batteryRuntimeSeconds,
    },
    clients,
    credential: {
      source: isMaster ? (input.credential?.source ?? 'none') : 'none',
      username: isMaster ? (input.credential?.username ?? null) : null,
      storedAvailable: input.storedCredentialAvailable,
      verdict: credential.verdict,
      detail: credential.detail,
    },
    thisMachine: {
      role: thisMachine.role,
      configDryRun: config.shutdown.dryRun,
      shutdownCommand: {
        program: thisMachine.shutdownCommand.file,
        args: thisMachine.shutdownCommand.args,
        isDefault: thisMachine.isDefaultCommand,
      },
      finalDelaySeconds: config.timing.finalDelaySeconds,
      hooks: thisMachine.hooks,
      willReallyShutDown: thisMachine.willReallyShutDown,
    },
    timeBudget: budget,
    checks,
    blockers: blockers.length,
    hardBlocked: blockers.some((check) => !check.overridable),
  };
  return { preflight, credential: isMaster ? input.credential : null };
}

/** Checks `master-reachable` and `server-identity`: one short read-only connection to the master. */
async function readMaster(ctx: PreflightContext): Promise<MasterReading> {
  const { deps, master, ups, isMaster, add } = ctx;
  const reading: MasterReading = {
    reachable: false,
    version: null,
    protocol: null,
    isSynology: master.preset === 'synology',
    status: null,
    statusError: null,
    variables: new Map<string, string>(),
    addresses: null,
    listError: null,
    numLogins: null,
    numLoginsError: null,
  };
  let client: NutClient | null = null;
  try {
    client = await connectToMaster(deps, master);
    reading.reachable = true;
  } catch (error) {
    const nutError = error instanceof NutError ? error : null;
    add({
      id: 'master-reachable',
      title: 'Master reachable',
      status: isMaster ? 'blocker' : 'warning',
      detail: isMaster
        ? `Cannot connect to ${master.host}:${master.port}: ${errorMessage(error)}`
        : `Cannot connect to ${master.host}:${master.port} (${errorMessage(error)}). Local mode does not need the master; the test still runs.`,
      ...(nutError ? { fix: nutError.fix } : {}),
    });
  }
  if (client) {
    try {
      try {
        const capabilities = await client.capabilities();
        reading.version = capabilities.serverVersion;
        reading.protocol = capabilities.protVer ?? capabilities.netVer;
        reading.isSynology = reading.isSynology || capabilities.isSynology;
      } catch (error) {
        if (error instanceof NutError && error.connectionLost) throw error;
      }
      try {
        reading.status = await client.getVar(ups.name, 'ups.status');
      } catch (error) {
        if (!(error instanceof NutError) || error.connectionLost) throw error;
        reading.statusError = error;
      }
      if (reading.statusError?.code !== 'UNKNOWN-UPS') {
        reading.variables = await client
          .listVar(ups.name)
          .catch(softFail(new Map<string, string>()));
        reading.addresses = await client.listClient(ups.name).catch((error: unknown) => {
          reading.listError = errorMessage(error);
          return softFail(null)(error);
        });
        reading.numLogins = await client.getNumLogins(ups.name).catch((error: unknown) => {
          reading.numLoginsError =
            error instanceof NutError && error.kind === 'server'
              ? `ERR ${error.code}`
              : errorMessage(error);
          return softFail(null)(error);
        });
      }
      add({
        id: 'master-reachable',
        title: 'Master reachable',
        status: 'ok',
        detail: `Connected to ${master.host}:${master.port}${client.tlsActive ? ' (TLS)' : ''}.`,
      });
    } catch (error) {
      add({
        id: 'master-reachable',
        title: 'Master reachable',
        status: isMaster ? 'blocker' : 'warning',
        detail: `The connection to ${master.host}:${master.port} failed during the checks: ${errorMessage(error)}`,
        ...(error instanceof NutError ? { fix: error.fix } : {}),
      });
      reading.reachable = false;
    } finally {
      await client.close();
    }
  }
  if (reading.reachable) {
    const { version, protocol, isSynology } = reading;
    add({
      id: 'server-identity',
      title: 'Master identity',
      status: 'info',
      detail: `${version ?? 'version unknown'}${protocol ? `, protocol ${protocol}` : ''}${isSynology ? ' — a Synology NAS' : ''}.`,
    });
  }
  return reading;
}

/**
 * Checks `ups-known`, `ups-status`, the power readiness findings and `fsd-latched`.
 * Returns whether the master already advertises FSD.
 */
function checkUpsStatus(ctx: PreflightContext, reading: MasterReading): boolean {
  const { input, ups, isMaster, add } = ctx;
  const { status, statusError } = reading;
  const fsdLatched = statusTokens(status).has('FSD');
  if (statusError?.code === 'UNKNOWN-UPS') {
    add({
      id: 'ups-known',
      title: 'UPS exists on the master',
      status: isMaster ? 'blocker' : 'warning',
      detail: statusError.explanation,
      fix: statusError.fix,
    });
  } else if (statusError) {
    add({
      id: 'ups-status',
      title: 'UPS on line',
      status: isMaster ? 'blocker' : 'warning',
      overridable: true,
      detail:
        `The master answers ERR ${statusError.code} for ${ups.name}: ${statusError.explanation} ` +
        'While the driver is down or stale, GET NUMLOGINS fails too, and the master’s upsmon counts that as "no secondaries": it would not wait for anyone.',
      fix: isMaster ? `${statusError.fix} ${WAIT_FOR_POWER}` : statusError.fix,
    });
  }
  if (reading.reachable && statusError?.code !== 'UNKNOWN-UPS') {
    const readiness = powerReadiness(
      status,
      numeric(reading.variables, 'battery.charge'),
      input.request.minChargePercent,
    );
    // A read error of ups.status is reported above, with its own explanation.
    for (const finding of readiness)
      if (!(statusError && finding.id === 'ups-status')) add(readinessCheck(finding, isMaster));
  }
  if (fsdLatched) {
    add({
      id: 'fsd-latched',
      title: 'FSD already latched',
      status: 'info',
      detail: isMaster
        ? 'The master already advertises FSD. The latch stays until upsd restarts, so secondaries that obey it have already shut down (or ignore it as a latch from before their start); sending FSD again changes nothing and the test would show little.'
        : 'The master already advertises FSD (a latch from an earlier FSD; it stays until upsd restarts). Local mode is not affected.',
      fix: 'Restart upsd on the master (Proxmox/Debian: `systemctl restart nut-server`; Synology: disable and re-enable the network UPS server, or reboot the NAS) to clear it, then run the preflight again.',
    });
  }
  return fsdLatched;
}

/**
 * Checks `list-client`, `secondaries`, `expected-missing` and `this-machine-login`: who is logged
 * in to the master besides this machine (names looked up for the list).
 */
async function checkClients(
  ctx: PreflightContext,
  reading: MasterReading,
): Promise<FsdPreflight['clients']> {
  const { deps, ups, isMaster, session, systemName, add } = ctx;
  const { addresses, numLogins } = reading;
  const thisAddress = session?.localAddress ? normalizeAddress(session.localAddress) : null;
  const loggedIn = session?.view.loggedIn === true;
  const normalized = addresses?.map(normalizeAddress) ?? null;
  const names = new Map<string, string | null>();
  if (normalized)
    await Promise.all(
      [...new Set(normalized)].map(async (address) =>
        names.set(address, await lookupName(deps, address)),
      ),
    );
  let ownMarked = false;
  const list: FsdClient[] | null =
    normalized?.map((address) => {
      const own = !ownMarked && loggedIn && thisAddress !== null && address === thisAddress;
      if (own) ownMarked = true;
      return { address, hostname: names.get(address) ?? null, isThisMachine: own };
    }) ?? null;
  const otherSecondaries = list
    ? list.filter((c) => !c.isThisMachine).length
    : numLogins === null
      ? null
      : Math.max(0, numLogins - (loggedIn ? 1 : 0));
  const missingExpected = list
    ? ups.expectedClients.filter(
        (expected) => !list.some((c) => matchesExpected(expected, c.address, c.hostname)),
      )
    : [];

  if (reading.reachable && reading.statusError?.code !== 'UNKNOWN-UPS') {
    if (list === null) {
      add({
        id: 'list-client',
        title: 'Connected secondaries (LIST CLIENT)',
        status: 'warning',
        detail: `The master does not list its clients (${reading.listError ?? 'LIST CLIENT failed'}): the run can only follow NUMLOGINS, not which secondary left when.`,
      });
    }
    const others = list?.filter((c) => !c.isThisMachine) ?? [];
    const numText =
      numLogins === null
        ? `NUMLOGINS unavailable (${reading.numLoginsError ?? 'error'})`
        : `NUMLOGINS ${numLogins}`;
    if (otherSecondaries === 0) {
      add({
        id: 'secondaries',
        title: 'Connected secondaries',
        status: 'warning',
        detail:
          `No secondary other than this machine is logged in (${numText}). ${isMaster ? 'The run can only show this machine.' : ''}`.trim(),
      });
    } else {
      const described = others
        .map((c) => (c.hostname ? `${c.address} (${c.hostname})` : c.address))
        .join(', ');
      add({
        id: 'secondaries',
        title: 'Connected secondaries',
        status: 'ok',
        detail: `${otherSecondaries ?? '?'} other secondar${otherSecondaries === 1 ? 'y' : 'ies'} logged in${described ? `: ${described}` : ''} (${numText}).`,
      });
    }
    if (missingExpected.length > 0) {
      add({
        id: 'expected-missing',
        title: 'Expected secondaries missing',
        status: 'warning',
        detail: `Not logged in: ${missingExpected.join(', ')}. They will not see the FSD through this master, and the master does not wait for them.`,
        fix: 'Check their NUT client (upsmon or NUT Sentinel) before testing.',
      });
    }
  }
  if (ups.role === 'secondary' && !loggedIn) {
    add({
      id: 'this-machine-login',
      title: 'This machine is logged in',
      status: 'warning',
      detail: `This machine’s monitor is not logged in to ${systemName}${session?.view.connected ? ' (LOGIN refused)' : ' (not connected)'}: the master does not count it${isMaster ? ', and it may not see the FSD' : ''}.`,
      fix: 'Fix the monitoring connection first (Settings → Masters → Test connection).',
    });
  }
  return {
    listSupported: list !== null,
    list,
    numLogins,
    thisMachineAddress: thisAddress,
    thisMachineLoggedIn: loggedIn,
    otherSecondaries,
    missingExpected,
  };
}

/**
 * Master mode only: checks `fsd-right` (the credential, on a throw-away connection),
 * `master-shuts-down` and `synology`.
 */
async function checkCredential(
  ctx: PreflightContext,
  reading: MasterReading,
): Promise<Pick<FsdPreflight['credential'], 'verdict' | 'detail'>> {
  const { deps, input, isMaster, systemName, add } = ctx;
  if (!isMaster)
    return {
      verdict: 'not-needed',
      detail: 'Local mode sends nothing privileged to the master.',
    };
  let result: Pick<FsdPreflight['credential'], 'verdict' | 'detail'>;
  if (!input.credential) {
    result = {
      verdict: 'missing',
      detail: input.credentialProblem ?? 'No credential with the FSD right was given.',
    };
    add({
      id: 'fsd-right',
      title: 'Credential with the FSD right',
      status: 'blocker',
      detail: result.detail,
      fix: 'Enter the master’s primary user and password (they are used for this test only unless you choose to remember them).',
    });
  } else if (!reading.reachable) {
    result = { verdict: 'unverified', detail: 'Not checked: the master is not reachable.' };
  } else {
    const verdict = await checkPrimaryRight(deps, input.target, input.credential);
    result = { verdict: verdict.verdict, detail: verdict.detail };
    add(verdict.check);
  }
  add({
    id: 'master-shuts-down',
    title: 'The master and the UPS power',
    status: 'warning',
    detail:
      `Every secondary of ${systemName} shuts down for real. The master’s own upsmon sees FSD too: it waits up to its HOSTSYNC for the secondaries, ` +
      'runs its own shutdown and usually switches the UPS off (POWERDOWNFLAG), cutting power to everything plugged into it.',
  });
  if (reading.isSynology) {
    add({
      id: 'synology',
      title: 'Synology master',
      status: 'warning',
      detail:
        'DSM does not power off on FSD: it enters Safe Mode and keeps upsd running, so the FSD latch stays advertised. ' +
        'Secondaries that obey FSD would shut down again right after they boot until the latch is cleared. DSM may also refuse new logins once it has declared the shutdown.',
      fix: 'After the test, clear the latch: in DSM disable and re-enable "Enable network UPS server" (Control Panel → Hardware & Power → UPS), or reboot the NAS.',
    });
  }
  return result;
}

/** What this machine will do when it sees the FSD. */
interface ThisMachinePlan {
  role: FsdPreflight['thisMachine']['role'];
  shutdownCommand: ReturnType<typeof defaultShutdownCommand>;
  isDefaultCommand: boolean;
  hooks: HookInfo[];
  willReallyShutDown: boolean;
}

/** Checks `this-machine-shutdown`, `master-untouched` and `hooks`. */
function checkThisMachine(ctx: PreflightContext): ThisMachinePlan {
  const { config, ups, isMaster, systemName, add } = ctx;
  const { request } = ctx.input;
  const shutdownCommand = config.shutdown.command ?? defaultShutdownCommand();
  const isDefaultCommand = config.shutdown.command === null;
  const role = ups.powerValue === 0 ? 'monitor-only' : ups.role;
  const hooks = shutdownHooks(config, systemName);
  // MINSUPPLIES: FSD on this UPS alone leaves this machine up while the others feed enough supplies.
  const { minSupplies } = config.shutdown;
  const otherSupplies = feedingPower(config.masters) - (feedsThisMachine(ups) ? ups.powerValue : 0);
  const otherSuppliesSuffice =
    role === 'secondary' && minSupplies !== null && otherSupplies >= minSupplies;
  const willReallyShutDown = isMaster
    ? role === 'secondary' && !otherSuppliesSuffice && !config.shutdown.dryRun
    : !request.dryRun;
  const commandText = [shutdownCommand.file, ...shutdownCommand.args].join(' ');
  if (isMaster) {
    if (role === 'monitor-only') {
      add({
        id: 'this-machine-shutdown',
        title: 'This machine',
        status: 'info',
        detail: `This machine only monitors ${systemName} (monitor-only or power value 0): it will not shut down.`,
      });
    } else if (otherSuppliesSuffice) {
      add({
        id: 'this-machine-shutdown',
        title: 'This machine stays up',
        status: 'warning',
        detail: `MINSUPPLIES is ${minSupplies} and the other UPSes feeding this machine supply ${otherSupplies}: FSD on ${systemName} alone does not shut it down, so it stays logged in and the report lists it as never logging out.`,
        fix: 'That is what redundant supplies are for. To see this machine take part, test with the other UPSes critical too, or turn off "redundant power supplies" in Settings → Shutdown for the test.',
      });
    } else if (config.shutdown.dryRun) {
      add({
        id: 'this-machine-shutdown',
        title: 'This machine',
        status: 'ok',
        detail: `Shutdown is in dry run here: when this machine’s monitor sees FSD it runs the SHUTDOWN hooks, waits FINALDELAY, records "${commandText}" instead of running it, and logs out so the master stops waiting for it.`,
      });
    } else {
      add({
        id: 'this-machine-shutdown',
        title: 'This machine really shuts down',
        status: 'blocker',
        overridable: true,
        detail: `This machine is a secondary of ${systemName} and its shutdown is NOT in dry run: its monitor will see FSD and run "${commandText}". The test report can only be written if the shutdown command does not power it off.`,
        fix: 'Turn on "dry run" in Settings → Shutdown to test the chain without powering this machine off, or override to test it for real.',
      });
    }
  } else if (request.dryRun) {
    add({
      id: 'this-machine-shutdown',
      title: 'Dry run',
      status: 'ok',
      detail: `The shutdown command "${commandText}" is recorded, not run. The hooks run for real.`,
    });
  } else {
    add({
      id: 'this-machine-shutdown',
      title: 'This machine really shuts down',
      status: 'warning',
      detail: `Real run: after the SHUTDOWN hooks and FINALDELAY, "${commandText}" runs${isDefaultCommand ? ' (the platform default: it powers this machine off)' : ''}, and the monitoring session logs out like upsmon does.`,
    });
  }
  if (!isMaster) {
    add({
      id: 'master-untouched',
      title: 'The master is not touched',
      status: 'info',
      detail: `Local mode sends no FSD and nothing privileged to the master${request.dryRun ? ', and the live monitoring session stays logged in' : ''}. Other secondaries are not affected.`,
    });
  }
  add({
    id: 'hooks',
    title: 'Hooks on SHUTDOWN',
    status: 'info',
    detail:
      hooks.length === 0
        ? 'No hook runs on SHUTDOWN.'
        : hooks
            .map((hook) => `${hook.detail}: ${[hook.program, ...hook.args].join(' ')}`)
            .join('; '),
  });
  return { role, shutdownCommand, isDefaultCommand, hooks, willReallyShutDown };
}

/** Checks `hostsync-assumed`, `time-logout` and `time-budget`. */
function checkTimeBudget(
  ctx: PreflightContext,
  variables: ReadonlyMap<string, string>,
  role: ThisMachinePlan['role'],
): FsdTimeBudget {
  const { config, input, isMaster, add } = ctx;
  const budget = timeBudget(config, input.request, variables, input.lastLocalReport);
  add({
    id: 'hostsync-assumed',
    title: 'Master’s HOSTSYNC',
    status: 'info',
    detail: budget.hostSyncNote,
  });
  if (isMaster && role === 'secondary') {
    if (budget.expectedLogoutSeconds >= budget.hostSyncSeconds) {
      add({
        id: 'time-logout',
        title: 'Logout within HOSTSYNC',
        status: 'warning',
        detail: `This machine logs out about ${fmt(budget.expectedLogoutSeconds)} s after FSD (status poll + FINALDELAY ${fmt(budget.finalDelaySeconds)} s), not before the master’s HOSTSYNC of ${fmt(budget.hostSyncSeconds)} s ends: the master stops waiting for it.`,
        fix: 'Make FINALDELAY here shorter than HOSTSYNC on the master (or raise HOSTSYNC there).',
      });
    } else {
      add({
        id: 'time-logout',
        title: 'Logout within HOSTSYNC',
        status: 'ok',
        detail: `This machine should log out about ${fmt(budget.expectedLogoutSeconds)} s after FSD, within the master’s HOSTSYNC of ${fmt(budget.hostSyncSeconds)} s.`,
      });
    }
  }
  add({
    id: 'time-budget',
    title: 'Time budget',
    status:
      budget.batteryRuntimeSeconds !== null &&
      budget.neededSeconds !== null &&
      budget.neededSeconds > budget.batteryRuntimeSeconds
        ? 'warning'
        : 'info',
    detail: budget.verdict,
    ...(budget.measuredShutdownSeconds === null
      ? {
          fix: 'Run a local test first: it measures how long this machine’s shutdown sequence takes.',
        }
      : {}),
  });
  return budget;
}

/** Why the UPS is not fit for a test that ends with the master cutting the power, if it is not. */
export interface PowerFinding {
  id: 'ups-status' | 'battery-charge';
  title: string;
  /** ok: on line / charged; problem: a blocker in master mode; unknown: a warning. */
  verdict: 'ok' | 'problem' | 'unknown';
  detail: string;
}

const NOT_READY_TOKENS: Readonly<Record<string, string>> = {
  OB: 'on battery',
  LB: 'low battery',
  FSD: 'a forced shutdown is already latched',
  OFF: 'the UPS output is off',
  BYPASS: 'on bypass (the battery does not protect the load)',
  CAL: 'a runtime calibration is running (it drains the battery)',
};

const WAIT_FOR_POWER =
  'Wait until the UPS is back on line and charged, then run the preflight again.';

/**
 * Master mode ends with the master's shutdown and usually the UPS switching off: only do that on
 * a UPS that is on line (OL, none of OB/LB/FSD/OFF/BYPASS/CAL) and charged at least `minCharge` %.
 * Pure, so the rule is tested on its own.
 */
export function powerReadiness(
  status: string | null,
  charge: number | null,
  minCharge: number,
): PowerFinding[] {
  const findings: PowerFinding[] = [];
  if (status === null || parseStatus(status).empty) {
    findings.push({
      id: 'ups-status',
      title: 'UPS on line',
      verdict: 'problem',
      detail: 'The master reports no ups.status: whether the UPS is on line is unknown.',
    });
  } else {
    const parsed = parseStatus(status);
    const reasons = parsed.known
      .filter((token) => token in NOT_READY_TOKENS)
      .map((token) => `${token}: ${NOT_READY_TOKENS[token]}`);
    if (!statusHas(parsed, 'OL') && !statusHas(parsed, 'OB'))
      reasons.push('no OL: the UPS does not report being on line');
    findings.push(
      reasons.length === 0
        ? {
            id: 'ups-status',
            title: 'UPS on line',
            verdict: 'ok',
            detail: `ups.status is "${status}".`,
          }
        : {
            id: 'ups-status',
            title: 'UPS on line',
            verdict: 'problem',
            detail: `ups.status is "${status}" — ${reasons.join('; ')}.`,
          },
    );
  }
  if (charge === null) {
    findings.push({
      id: 'battery-charge',
      title: 'Battery charged',
      verdict: 'unknown',
      detail: `battery.charge is not reported: whether the battery holds at least ${minCharge} % is unknown.`,
    });
  } else if (charge < minCharge) {
    findings.push({
      id: 'battery-charge',
      title: 'Battery charged',
      verdict: 'problem',
      detail: `battery.charge is ${fmt(charge)} %, below the ${fmt(minCharge)} % a test needs.`,
    });
  } else {
    findings.push({
      id: 'battery-charge',
      title: 'Battery charged',
      verdict: 'ok',
      detail: `battery.charge is ${fmt(charge)} % (at least ${fmt(minCharge)} %).`,
    });
  }
  return findings;
}

/** Master mode: a problem blocks (overridable); local mode only warns — it touches no power. */
function readinessCheck(
  finding: PowerFinding,
  isMaster: boolean,
): Omit<FsdCheck, 'overridable'> & { overridable?: boolean } {
  if (finding.verdict === 'ok')
    return { id: finding.id, title: finding.title, status: 'ok', detail: finding.detail };
  if (finding.verdict === 'unknown')
    return { id: finding.id, title: finding.title, status: 'warning', detail: finding.detail };
  if (!isMaster)
    return {
      id: finding.id,
      title: finding.title,
      status: 'warning',
      detail: `${finding.detail} Local mode does not touch the master or the UPS, but a real outage may be under way.`,
    };
  return {
    id: finding.id,
    title: finding.title,
    status: 'blocker',
    overridable: true,
    detail: `${finding.detail} A forced shutdown now makes the master shut down and usually switch the UPS off, with too little battery left for what follows.`,
    fix: `${WAIT_FOR_POWER} Override only if you really mean to test on this power.`,
  };
}

/** USERNAME/PASSWORD + PRIMARY (MASTER) on a throw-away connection; never FSD. */
async function checkPrimaryRight(
  deps: FsdTestDeps,
  target: Target,
  credential: ResolvedCredential,
): Promise<{ verdict: FsdPreflight['credential']['verdict']; detail: string; check: FsdCheck }> {
  const title = 'Credential with the FSD right';
  let client: NutClient | null = null;
  try {
    client = await connectToMaster(deps, target.master);
    await client.authenticate(credential.username, credential.password);
    const granted = await client.primary(target.ups.name);
    const detail = `${granted} ${target.ups.name} granted to "${credential.username}": the user has upsmon ${granted === 'PRIMARY' ? 'primary' : 'master'} rights, which include FSD.`;
    return {
      verdict: 'primary-granted',
      detail,
      check: { id: 'fsd-right', title, status: 'ok', detail, overridable: false },
    };
  } catch (error) {
    if (hasServerCode(error, 'ACCESS-DENIED')) {
      const words = await serverRightsWords(client);
      const detail =
        `The master answered ERR ACCESS-DENIED to PRIMARY/MASTER ${target.ups.name} for "${credential.username}": this credential has no primary/FSD right ` +
        `(or the password is wrong). ${primaryRightsExplanation(words)} (${error.explanation})`;
      return {
        verdict: 'denied',
        detail,
        check: {
          id: 'fsd-right',
          title,
          status: 'blocker',
          detail,
          fix: primaryRightsFix(words),
          overridable: true,
        },
      };
    }
    if (hasServerCode(error, 'USERNAME-REQUIRED', 'PASSWORD-REQUIRED')) {
      const detail = `${error.explanation} Enter the user name and password of a user with the FSD right.`;
      return {
        verdict: 'missing',
        detail,
        check: {
          id: 'fsd-right',
          title,
          status: 'blocker',
          detail,
          fix: error.fix,
          overridable: false,
        },
      };
    }
    const detail = `The right could not be checked (${error instanceof NutError ? `${error.code}: ${error.explanation}` : errorMessage(error)}). FSD may still be refused.`;
    return {
      verdict: 'unverified',
      detail,
      check: {
        id: 'fsd-right',
        title,
        status: 'blocker',
        detail,
        fix:
          error instanceof NutError ? error.fix : primaryRightsFix(await serverRightsWords(client)),
        overridable: true,
      },
    };
  } finally {
    await client?.close();
  }
}

/** The server's rights words; the old words (understood by every server) when it cannot be asked. */
async function serverRightsWords(client: NutClient | null): Promise<RightsWords> {
  if (!client) return rightsWordsFor(null);
  try {
    const capabilities = await client.capabilities();
    return rightsWordsFor({ protVer: capabilities.protVer, synology: capabilities.isSynology });
  } catch {
    return rightsWordsFor(null);
  }
}

interface HookInfo {
  source: 'notify-command' | 'event-hook' | 'upssched';
  program: string;
  args: string[];
  detail: string;
}

/** What runs on SHUTDOWN here (UPSNAME is empty for SHUTDOWN, so only `*` hooks and rules match). */
export function shutdownHooks(config: Config, _systemName: string): HookInfo[] {
  const hooks: HookInfo[] = [];
  const { hooks: settings } = config;
  if (eventPolicy(settings, 'SHUTDOWN').exec && settings.notifyCommand) {
    hooks.push({
      source: 'notify-command',
      program: settings.notifyCommand.file,
      args: settings.notifyCommand.args,
      detail: 'NOTIFYCMD (exec on SHUTDOWN)',
    });
  }
  settings.eventHooks.forEach((hook, index) => {
    if (!hook.events.includes('SHUTDOWN') || hook.ups !== '*') return;
    hooks.push({
      source: 'event-hook',
      program: hook.command.file,
      args: hook.command.args,
      detail: `hook #${index + 1} (timeout ${hook.timeoutSeconds} s)`,
    });
  });
  if (settings.upssched) {
    for (const rule of settings.upssched.rules) {
      if (rule.event !== 'SHUTDOWN' || rule.ups !== '*') continue;
      const what =
        rule.action === 'START-TIMER'
          ? `START-TIMER ${rule.timer} ${rule.seconds}`
          : rule.action === 'CANCEL-TIMER'
            ? `CANCEL-TIMER ${rule.timer}`
            : `EXECUTE ${rule.command}`;
      hooks.push({
        source: 'upssched',
        program: settings.upssched.cmdScript.file,
        args: settings.upssched.cmdScript.args,
        detail: `upssched AT SHUTDOWN * ${what}`,
      });
    }
  }
  return hooks;
}

function timeBudget(
  config: Config,
  request: ParsedPreflightRequest,
  variables: ReadonlyMap<string, string>,
  lastLocal: FsdReport | null,
): FsdTimeBudget {
  const given = request.hostSyncSeconds;
  const hostSyncSeconds = given ?? DEFAULT_MASTER_HOSTSYNC_SECONDS;
  const hostSyncNote =
    given === undefined
      ? `Assumed ${DEFAULT_MASTER_HOSTSYNC_SECONDS} s, upsmon’s default: the master’s HOSTSYNC (in its upsmon.conf) cannot be read over the NUT protocol. Enter the master’s value for an exact verdict.`
      : `${fmt(given)} s as entered: the master’s HOSTSYNC (in its upsmon.conf) cannot be read over the NUT protocol.`;
  const { statusPollSeconds, finalDelaySeconds } = config.timing;
  const expectedLogoutSeconds = round1(statusPollSeconds + finalDelaySeconds);
  const measured = lastLocal?.local ? lastLocal.local.measured.totalMs / 1000 : null;
  const neededSeconds = measured === null ? null : round1(statusPollSeconds + measured);
  const runtime = numeric(variables, 'battery.runtime');
  const delay = numeric(variables, 'ups.delay.shutdown');
  const parts: string[] = [
    `HOSTSYNC ${fmt(hostSyncSeconds)} s${given === undefined ? ' (assumed)' : ''}; this machine logs out about ${fmt(expectedLogoutSeconds)} s after FSD (status poll ${fmt(statusPollSeconds)} s + FINALDELAY ${fmt(finalDelaySeconds)} s).`,
  ];
  if (measured === null)
    parts.push('Its shutdown sequence has not been measured yet (no local test).');
  else
    parts.push(
      `Its last measured shutdown sequence took ${fmt(round1(measured))} s (local test${lastLocal?.local?.dryRun ? ', dry run: the command itself was not timed' : ''}), so it needs about ${fmt(neededSeconds ?? 0)} s after FSD.`,
    );
  if (runtime === null) parts.push('battery.runtime is not reported.');
  else {
    const need = Math.max(hostSyncSeconds, neededSeconds ?? expectedLogoutSeconds);
    parts.push(
      runtime >= need
        ? `battery.runtime is ${fmt(runtime)} s: ${fmt(round1(runtime - need))} s to spare.`
        : `battery.runtime is only ${fmt(runtime)} s: less than the ${fmt(need)} s the chain needs.`,
    );
  }
  if (delay !== null)
    parts.push(
      `ups.delay.shutdown ${fmt(delay)} s (how long the UPS waits after the master's shutdown command before cutting power).`,
    );
  return {
    hostSyncSeconds,
    hostSyncSource: given === undefined ? 'default' : 'request',
    hostSyncNote,
    statusPollSeconds,
    finalDelaySeconds,
    expectedLogoutSeconds,
    measuredShutdownSeconds: measured === null ? null : round1(measured),
    measuredAt: lastLocal?.at ?? null,
    measuredReportId: lastLocal?.id ?? null,
    neededSeconds,
    batteryRuntimeSeconds: runtime,
    upsDelayShutdownSeconds: delay,
    verdict: parts.join(' '),
  };
}

function numeric(variables: ReadonlyMap<string, string>, name: string): number | null {
  const raw = variables.get(name);
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Server errors of optional reads become the fallback; a lost connection is rethrown. */
function softFail<T>(fallback: T): (error: unknown) => T {
  return (error) => {
    if (error instanceof NutError && !error.connectionLost) return fallback;
    throw error;
  };
}
