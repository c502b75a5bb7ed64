/**
 * "What if the power failed now": a pure function from the readings, the thresholds, this
 * machine's settings and earlier FSD-test measurements to a timeline and a margin. No I/O: the
 * panel, `nut-sentinel what-if` and the outage records (predicted vs what happened) call it with
 * their inputs (main/what-if/inputs.ts gathers the live ones).
 *
 * The chain it models is upsmon's (main/monitor/README.md §1.1):
 * - t0 the power fails; the UPS runs on battery.
 * - t1 the UPS raises LB: at battery.runtime.low seconds of runtime left, or at battery.charge.low
 *   percent (the charge assumed to fall linearly over battery.runtime), whichever comes first.
 * - the master sees OB LB at its next poll (POLLFREQ, upsmon's 5 s: upsd does not publish it)
 *   and sets FSD; every secondary sees FSD, runs its SHUTDOWN (FINALDELAY, shutdown command) and
 *   logs out. The master waits until they are gone, at most HOSTSYNC.
 * - t2 the secondaries are down (their measured logout times), or the master stopped waiting.
 * - t3 the master runs its own shutdown (its FINALDELAY, upsmon's 5 s, plus its shutdown time,
 *   which only the operator knows) and has the UPS cut the power.
 * - the battery is empty at battery.runtime (at the current load).
 */
import {
  type WhatIfBasis,
  type WhatIfResult,
  type WhatIfStep,
  type WhatIfVerdict,
  WHAT_IF_TIGHT_MARGIN_SECONDS,
} from '../../shared/what-if';
import { statusTokens } from '../../shared/status-tokens';

/** upsmon's POLLFREQ and FINALDELAY defaults, used for the master (it does not publish them). */
export const ASSUMED_MASTER_POLL_SECONDS = 5;
export const ASSUMED_MASTER_FINAL_DELAY_SECONDS = 5;

export interface WhatIfSecondary {
  /** Address or host name as the FSD test saw it. */
  name: string;
  /** Seconds after FSD-SET it logged out; null when it never did during the test. */
  logoutSeconds: number | null;
}

export interface WhatIfInput {
  monitorId: string;
  upsName: string;
  /** Epoch ms of the readings. */
  at: number;
  /** ups.status tokens as read (null: not known). */
  status: string | null;
  /** battery.charge (%), battery.runtime (s), ups.load (%). */
  charge: number | null;
  runtimeSeconds: number | null;
  load: number | null;
  /** battery.charge.low (%), battery.runtime.low (s). */
  chargeLow: number | null;
  runtimeLow: number | null;
  /** Why the UPS has no readings at all (the session's last error), when it has none. */
  unreadable?: { explanation: string; fix: string } | null;
  /** The master's HOSTSYNC and where it comes from. */
  hostSync: { seconds: number; basis: WhatIfBasis };
  thisMachine: {
    /** secondary: this machine shuts down on FSD; monitor-only: it only watches. */
    role: 'secondary' | 'monitor-only';
    statusPollSeconds: number;
    finalDelaySeconds: number;
    /** The last local FSD test: SHUTDOWN notification → everything finished (s). */
    measuredShutdownSeconds: number | null;
    /** That test ran the shutdown command as a dry run (the OS shutdown itself not timed). */
    measuredDryRun: boolean;
  };
  /** The last completed master-mode FSD test's other secondaries; null when none was run. */
  secondaries: WhatIfSecondary[] | null;
  master: {
    pollSeconds?: number;
    finalDelaySeconds?: number;
    /** The master's own shutdown duration, when the operator gave it. */
    shutdownSeconds: number | null;
  };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

function fmt(seconds: number): string {
  const rounded = Math.round(seconds);
  if (Math.abs(rounded) < 120) return `${round1(seconds)} s`;
  const sign = rounded < 0 ? '−' : '';
  const abs = Math.abs(rounded);
  return `${sign}${Math.floor(abs / 60)} min ${abs % 60} s`;
}

/** Seconds from t0 until the UPS raises LB at the current load; null when it cannot be told. */
export function lowBatteryAfter(input: {
  status: string | null;
  charge: number | null;
  runtimeSeconds: number | null;
  chargeLow: number | null;
  runtimeLow: number | null;
  unreadable?: { explanation: string } | null;
}): { seconds: number | null; detail: string } {
  if (input.unreadable)
    return {
      seconds: null,
      detail: `The UPS cannot be read (${input.unreadable.explanation}), so when it raises low battery cannot be told.`,
    };
  if (statusTokens(input.status).has('LB'))
    return { seconds: 0, detail: 'The UPS reports low battery (LB) already.' };
  const runtime = input.runtimeSeconds;
  if (runtime === null)
    return {
      seconds: null,
      detail:
        'The UPS does not report battery.runtime, so when it raises low battery cannot be told.',
    };
  const candidates: { seconds: number; why: string }[] = [];
  if (input.runtimeLow !== null)
    candidates.push({
      seconds: Math.max(0, runtime - input.runtimeLow),
      why: `runtime ${fmt(runtime)} falls to battery.runtime.low ${fmt(input.runtimeLow)}`,
    });
  if (input.chargeLow !== null && input.charge !== null && input.charge > 0)
    candidates.push({
      seconds: Math.max(0, (runtime * (input.charge - input.chargeLow)) / input.charge),
      why: `charge ${input.charge} % falls to battery.charge.low ${input.chargeLow} % (linear over the runtime)`,
    });
  if (candidates.length === 0)
    return {
      seconds: null,
      detail:
        'The UPS reports neither battery.charge.low nor battery.runtime.low: it decides low battery by itself, so when cannot be told.',
    };
  const first = candidates.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { seconds: round1(first.seconds), detail: `When ${first.why}, at the current load.` };
}

export function whatIf(input: WhatIfInput): WhatIfResult {
  const steps: WhatIfStep[] = [];
  const warnings: string[] = [];
  const missing: WhatIfResult['missing'] = [];
  const status = statusTokens(input.status);
  const alreadyOnBattery = status.has('OB');
  const masterPoll = input.master.pollSeconds ?? ASSUMED_MASTER_POLL_SECONDS;
  const masterFinalDelay = input.master.finalDelaySeconds ?? ASSUMED_MASTER_FINAL_DELAY_SECONDS;
  const hostSync = input.hostSync.seconds;

  steps.push({
    id: 'on-battery',
    label: alreadyOnBattery ? 'On battery (now)' : 'Power fails: on battery',
    atSeconds: 0,
    basis: 'reported',
    detail: `Charge ${input.charge ?? '?'} %, runtime ${input.runtimeSeconds === null ? '?' : fmt(input.runtimeSeconds)}, load ${input.load ?? '?'} %.`,
  });

  const low = lowBatteryAfter(input);
  const t1 = low.seconds;
  steps.push({
    id: 'low-battery',
    label: 'Low battery (LB)',
    atSeconds: t1,
    basis: t1 === null ? 'unknown' : 'reported',
    detail: low.detail,
  });
  if (input.unreadable) missing.push({ what: 'readings of the UPS', fix: input.unreadable.fix });
  else if (t1 === null)
    missing.push({
      what: 'when the UPS raises low battery',
      fix:
        input.runtimeSeconds === null
          ? 'This UPS (its driver) does not report battery.runtime; check `upsc` on the master for it.'
          : 'Set battery.charge.low or battery.runtime.low on the UPS (UPS commands and settings), if its driver allows it.',
    });

  const fsdAt = t1 === null ? null : round1(t1 + masterPoll);
  steps.push({
    id: 'fsd',
    label: 'The master sets FSD',
    atSeconds: fsdAt,
    basis: fsdAt === null ? 'unknown' : 'assumed',
    detail: `At the master's next poll after LB (POLLFREQ ${fmt(masterPoll)}${input.master.pollSeconds === undefined ? ", upsmon's default" : ''}).`,
  });

  // This machine: logs out after its status poll + FINALDELAY, is down after its measured sequence.
  let thisMachineLogout: number | null = null;
  let thisMachineDownAt: number | null = null;
  if (input.thisMachine.role === 'secondary') {
    const { statusPollSeconds, finalDelaySeconds, measuredShutdownSeconds } = input.thisMachine;
    thisMachineLogout = statusPollSeconds + finalDelaySeconds;
    if (measuredShutdownSeconds === null) {
      missing.push({
        what: "this machine's shutdown duration",
        fix: 'Run an FSD test in local mode (FSD test tab) to measure how long this machine takes to shut down.',
      });
    } else if (fsdAt !== null) {
      thisMachineDownAt = round1(fsdAt + statusPollSeconds + measuredShutdownSeconds);
    }
    if (input.thisMachine.measuredDryRun && measuredShutdownSeconds !== null)
      warnings.push(
        "This machine's shutdown was measured in a dry run: the operating system's own shutdown is not included.",
      );
    steps.push({
      id: 'this-machine-down',
      label: 'This machine is down',
      atSeconds: thisMachineDownAt,
      basis: measuredShutdownSeconds === null || fsdAt === null ? 'unknown' : 'measured',
      detail:
        measuredShutdownSeconds === null
          ? `Logs out about ${fmt(thisMachineLogout)} after FSD (status poll + FINALDELAY ${fmt(finalDelaySeconds)}); its shutdown has not been measured.`
          : `Status poll ${fmt(statusPollSeconds)} + measured shutdown sequence ${fmt(measuredShutdownSeconds)} (FINALDELAY ${fmt(finalDelaySeconds)} included).`,
    });
  }

  // The other secondaries, from the last master-mode FSD test.
  let lastLogout: number | null = thisMachineLogout;
  let secondariesKnown = true;
  if (input.secondaries === null) {
    secondariesKnown = false;
    missing.push({
      what: "the other secondaries' logout times",
      fix: 'Run an FSD test in master mode to measure how long each secondary of this UPS takes to log out.',
    });
  } else {
    for (const secondary of input.secondaries) {
      const at =
        secondary.logoutSeconds === null || fsdAt === null
          ? null
          : round1(fsdAt + secondary.logoutSeconds);
      const late = secondary.logoutSeconds === null || secondary.logoutSeconds > hostSync;
      steps.push({
        id: 'secondary-logout',
        label: `${secondary.name} logs out`,
        atSeconds: at,
        basis: secondary.logoutSeconds === null ? 'unknown' : 'measured',
        detail:
          secondary.logoutSeconds === null
            ? 'It did not log out during the last FSD test.'
            : `${fmt(secondary.logoutSeconds)} after FSD in the last FSD test${late ? `, after HOSTSYNC ${fmt(hostSync)}` : ''}.`,
      });
      if (late)
        warnings.push(
          secondary.logoutSeconds === null
            ? `${secondary.name} did not log out in the last FSD test: the master stops waiting after HOSTSYNC (${fmt(hostSync)}) and cuts the power while it is still up.`
            : `${secondary.name} logged out after ${fmt(secondary.logoutSeconds)}, later than HOSTSYNC (${fmt(hostSync)}): the master does not wait for it.`,
        );
      if (secondary.logoutSeconds !== null)
        lastLogout = Math.max(lastLogout ?? 0, secondary.logoutSeconds);
      else lastLogout = Math.max(lastLogout ?? 0, hostSync);
    }
  }
  if (thisMachineLogout !== null && thisMachineLogout > hostSync)
    warnings.push(
      `This machine logs out about ${fmt(thisMachineLogout)} after FSD, later than HOSTSYNC (${fmt(hostSync)}): the master does not wait for it.`,
    );

  // The master waits until everyone is gone, at most HOSTSYNC; unknown secondaries: assume it waits it out.
  const waited = secondariesKnown ? Math.min(hostSync, lastLogout ?? 0) : hostSync;
  const secondariesDownAt = fsdAt === null ? null : round1(fsdAt + waited);
  steps.push({
    id: 'secondaries-down',
    label: 'Secondaries down (the master stops waiting)',
    atSeconds: secondariesDownAt,
    basis: secondariesDownAt === null ? 'unknown' : secondariesKnown ? 'measured' : 'assumed',
    detail: secondariesKnown
      ? `The last one logs out ${fmt(waited)} after FSD (the master waits at most HOSTSYNC ${fmt(hostSync)}).`
      : `Not measured: the master waits up to HOSTSYNC ${fmt(hostSync)}${input.hostSync.basis === 'assumed' ? " (upsmon's default)" : ''}.`,
  });

  const masterShutdown = input.master.shutdownSeconds;
  const masterDownAt =
    secondariesDownAt === null || masterShutdown === null
      ? null
      : round1(secondariesDownAt + masterFinalDelay + masterShutdown);
  if (masterShutdown === null)
    missing.push({
      what: "the master's own shutdown duration",
      fix: 'Time the master’s shutdown once (it cannot be measured from here) and enter it.',
    });
  steps.push({
    id: 'master-down',
    label: 'The master is down',
    atSeconds: masterDownAt,
    basis: masterDownAt === null ? 'unknown' : 'given',
    detail:
      masterShutdown === null
        ? `FINALDELAY ${fmt(masterFinalDelay)} then its shutdown, whose duration is not known.`
        : `FINALDELAY ${fmt(masterFinalDelay)}${input.master.finalDelaySeconds === undefined ? " (upsmon's default)" : ''} + shutdown ${fmt(masterShutdown)}.`,
  });

  const emptyAt = input.runtimeSeconds === null ? null : round1(input.runtimeSeconds);
  steps.push({
    id: 'battery-empty',
    label: 'Battery empty',
    atSeconds: emptyAt,
    basis: emptyAt === null ? 'unknown' : 'reported',
    detail:
      emptyAt === null
        ? input.unreadable
          ? 'The UPS cannot be read.'
          : 'The UPS does not report battery.runtime.'
        : `battery.runtime at the current load${input.load === null ? '' : ` (${input.load} %)`}.`,
  });

  const marginBeforeMasterShutdownSeconds =
    emptyAt === null || secondariesDownAt === null ? null : round1(emptyAt - secondariesDownAt);
  const lastDown =
    masterDownAt === null || (input.thisMachine.role === 'secondary' && thisMachineDownAt === null)
      ? null
      : Math.max(masterDownAt, thisMachineDownAt ?? 0);
  const marginSeconds = emptyAt === null || lastDown === null ? null : round1(emptyAt - lastDown);

  let verdict: WhatIfVerdict;
  let headline: string;
  if (marginSeconds !== null) {
    verdict =
      marginSeconds < 0
        ? 'negative'
        : marginSeconds < WHAT_IF_TIGHT_MARGIN_SECONDS
          ? 'tight'
          : 'ok';
    headline =
      marginSeconds < 0
        ? `The battery runs out ${fmt(-marginSeconds)} before everything is down.`
        : `Everything is down ${fmt(marginSeconds)} before the battery runs out.`;
  } else {
    verdict =
      marginBeforeMasterShutdownSeconds !== null && marginBeforeMasterShutdownSeconds < 0
        ? 'negative'
        : 'unknown';
    headline =
      verdict === 'negative'
        ? `The battery runs out ${fmt(-marginBeforeMasterShutdownSeconds!)} before the secondaries are down.`
        : input.unreadable
          ? `The margin is not known: the UPS cannot be read now (${input.unreadable.explanation}).`
          : `The margin is not known: ${missing.map((m) => m.what).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.`;
  }
  if (verdict === 'negative')
    warnings.unshift(
      'The margin is negative: raise battery.charge.low / battery.runtime.low, shorten the shutdowns, or reduce the load.',
    );
  if (verdict === 'unknown' && marginBeforeMasterShutdownSeconds !== null)
    warnings.push(
      `Until the secondaries are down there are ${fmt(marginBeforeMasterShutdownSeconds)} of battery left.`,
    );

  return {
    monitorId: input.monitorId,
    upsName: input.upsName,
    at: input.at,
    alreadyOnBattery,
    lowBatteryAt: t1,
    fsdAt,
    secondariesDownAt,
    thisMachineDownAt,
    masterDownAt,
    emptyAt,
    marginSeconds,
    marginBeforeMasterShutdownSeconds,
    verdict,
    headline,
    steps,
    warnings,
    missing,
  };
}
