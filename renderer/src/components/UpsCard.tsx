/**
 * One UPS: status in words and colour, charge, runtime, load, voltages, data age, and every
 * reason to worry (login refused, stale readings, shutdown in progress, latched FSD).
 * Stale readings are greyed and labelled "last known … ago": never frozen numbers that look live.
 */
import { DRY_RUN_BADGE, type UpsSnapshot, dryRunApplies } from '../../../shared/snapshot';
import { REASON_WORD } from '../battery-words';
import {
  CONNECTION_LABEL,
  ROLE_LABEL,
  SHUTDOWN_PHASE_LABEL,
  describeServer,
  formatAge,
  formatCountdown,
  formatDateTime,
  formatElapsed,
  formatPercent,
  formatTimeOfDay,
  formatRuntime,
  formatVoltage,
  isStale,
} from '../format';
import {
  ChevronRightIcon,
  ClientsIcon,
  ClockIcon,
  LockIcon,
  PowerIcon,
  ServerIcon,
} from '../icons';
import { href, upsHref } from '../router';
import { useState } from 'react';
import { api, errorText } from '../api';
import { useApp, useCoreNow } from '../store';

/** No status read for this long: shown as stale even if the core has not said so yet. */
const LOCAL_STALE_MS = 90_000;
import { Bar, Callout, ChargeGauge, DiagnosisText, RichText, StatusPill } from './common';
import { MasterSees } from './MasterSees';
import { Sparkline } from './Sparkline';
import { describeDevice, formatWatts, wattsSource } from '../ups-facts';

/** How the link to the master is protected; a fallback to plain text is shown as a warning. */
function TlsBadge({ tls }: { tls: UpsSnapshot['tls'] }) {
  if (tls.link === null) return null;
  const text =
    tls.link === 'encrypted'
      ? `Encrypted${tls.protocol ? ` (${tls.protocol})` : ''}`
      : tls.link === 'plaintext-fallback'
        ? 'Not encrypted: the master declined STARTTLS'
        : 'Not encrypted';
  const title =
    tls.link === 'plaintext-fallback'
      ? `TLS is set to “when offered” and the master answered ERR ${tls.declinedCode ?? '?'}: the password crosses the network in plain text. Pin the master’s certificate to require TLS, or set TLS to off.`
      : tls.link === 'plaintext'
        ? 'TLS is off for this master (like upsmon’s default).'
        : 'STARTTLS is active on this connection.';
  return (
    <span
      className={`tls-state tls-${tls.link}`}
      data-testid="tls-state"
      data-link={tls.link}
      title={title}
    >
      <LockIcon size={13} /> {text}
    </span>
  );
}

export function UpsCard({
  ups,
  variant = 'card',
}: {
  ups: UpsSnapshot;
  variant?: 'card' | 'detail';
}) {
  const now = useCoreNow();
  const transportDown = useApp((s) => s.transport.kind !== 'open');
  const hasReadings = ups.statusAt !== null;
  const age = ups.statusAt === null ? null : Math.max(0, now - ups.statusAt);
  // The core marks stale data; the UI also refuses to present frozen numbers as live when no
  // fresh snapshot arrives (the core or the link to it is gone).
  const frozen = transportDown || (age !== null && age > LOCAL_STALE_MS);
  const stale = isStale(ups) || frozen;
  const m = ups.metrics;
  const headingId = `ups-${ups.monitorId.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const statusWords = frozen && !isStale(ups) ? 'Not updating' : connectionWords(ups);
  const refused = ups.connection === 'login-refused' || ups.connection === 'not-permitted';
  const masterEdit = href({ name: 'master-edit', masterId: ups.masterId, preset: 'generic' });
  const device = describeDevice(ups.device);
  const watts = formatWatts(m.realPower);

  return (
    <article
      className={`ups-card level-${stale ? 'comm-lost' : ups.level}${stale ? ' is-stale' : ''}${refused ? ' is-refused' : ''}${variant === 'detail' ? ' is-detail' : ''}`}
      aria-labelledby={headingId}
      data-testid="ups-card"
      data-monitor-id={ups.monitorId}
      data-connection={ups.connection}
      data-level={ups.level}
      data-stale={stale ? 'true' : 'false'}
    >
      <header className="ups-card-head">
        <div className="ups-card-title">
          {variant === 'card' ? (
            <h2 id={headingId}>
              <a href={upsHref(ups.monitorId)} className="ups-link" data-testid="ups-identity">
                {ups.masterLabel}
                <span className="visually-hidden"> · </span>
                <span className="ups-device">{device ?? ups.upsName}</span>
              </a>
            </h2>
          ) : (
            <h2 id={headingId} className="visually-hidden">
              Status of {ups.upsName} on {ups.masterLabel}
            </h2>
          )}
          {variant === 'detail' && device !== null && (
            <p className="ups-model" data-testid="ups-model">
              {device}
            </p>
          )}
          <div className="ups-meta">
            <span title={ups.server.version ?? undefined} data-testid="server-identity">
              <ServerIcon size={14} /> {describeServer(ups.server)}
            </span>
            <span className="ups-system">{ups.systemName}</span>
            <TlsBadge tls={ups.tls} />
          </div>
        </div>
        <span
          className={`role-chip role-${ups.role}`}
          data-testid="role"
          title={
            ups.role === 'secondary'
              ? 'Logs in to the master, which waits for this machine; this machine shuts down on low battery.'
              : 'Watches only; never shuts this machine down.'
          }
        >
          {ROLE_LABEL[ups.role]}
          {ups.role === 'secondary' && <LoginWords ups={ups} />}
        </span>
      </header>
      {dryRunApplies(ups) && (
        <div>
          <span
            className="badge badge-dry-run"
            data-testid="card-dry-run"
            title="Settings → Shutdown → Dry run: the shutdown command is recorded, not executed."
          >
            {DRY_RUN_BADGE}
          </span>
        </div>
      )}

      {ups.batteryReminder && (
        <div>
          <a
            className="badge badge-battery-replace"
            data-testid="card-battery-reminder"
            href={upsHref(ups.monitorId, 'battery')}
            title={ups.batteryReminder.text}
          >
            Replace the battery ({ups.batteryReminder.reasons.map((r) => REASON_WORD[r]).join(', ')}
            )
          </a>
        </div>
      )}

      <div className="ups-status-line" data-testid="ups-status">
        <StatusPill level={ups.level} stale={stale} text={stale ? statusWords : ups.statusText} />
        {stale && hasReadings && ups.status && ups.statusText !== statusWords && (
          <span className="muted">last known: {ups.statusText}</span>
        )}
        {!stale && ups.status && (
          <code className="raw-status" title="ups.status as read">
            {ups.status}
          </code>
        )}
      </div>

      {ups.onBatterySince !== null && !stale && (
        <div
          className={`on-battery-facts${ups.critical ? ' is-critical' : ''}`}
          data-testid="on-battery"
        >
          <div>
            <ClockIcon size={14} /> On battery for{' '}
            <strong data-testid="time-on-battery">{formatElapsed(now - ups.onBatterySince)}</strong>
          </div>
          {ups.rule.text && (
            <p className="small" data-testid="shutdown-rule">
              <RichText text={ups.rule.text} />
            </p>
          )}
        </div>
      )}

      {refused && (
        <Callout
          tone="bad"
          testId={ups.connection === 'not-permitted' ? 'not-permitted' : 'login-refused'}
          title={
            <>
              <LockIcon size={16} />{' '}
              {ups.connection === 'not-permitted' ? 'Not permitted' : 'Login refused'} — this
              machine is not protected
            </>
          }
          action={
            <a className="button button-small" href={masterEdit}>
              {ups.connection === 'not-permitted' ? 'Edit master' : 'Fix credentials'}
            </a>
          }
        >
          {ups.lastError ? (
            <DiagnosisText
              explanation={ups.lastError.explanation}
              fix={ups.lastError.fix}
              code={ups.lastError.code}
            />
          ) : (
            <p>
              The master refused LOGIN, so it does not count this machine and will not wait for it
              before cutting power.
            </p>
          )}
        </Callout>
      )}

      {ups.shutdown.phase !== 'none' && <ShutdownBanner ups={ups} now={now} />}

      {ups.critical && ups.shutdown.phase === 'none' && (
        <Callout tone="bad" title="Critical" testId="critical">
          <p>{ups.criticalReason ?? 'The UPS is in a critical state.'}</p>
        </Callout>
      )}

      {ups.fsdLatchedAtStart && (
        <Callout
          tone="warn"
          title="Forced shutdown was already latched on the master"
          testId="fsd-latched"
        >
          <p>
            When monitoring started, the master already advertised FSD while the UPS was on line
            power — typical of a Synology NAS that stayed up after an outage. What NUT Sentinel does
            about it is set in Settings → Shutdown.
          </p>
          {ups.fsdLatch === 'awaiting-choice' && <LatchedFsdChoice monitorId={ups.monitorId} />}
        </Callout>
      )}

      <div className={`ups-readings${stale ? ' is-stale' : ''}`} data-testid="readings">
        {stale && (
          <p className="stale-label" data-testid="stale-label">
            <ClockIcon size={14} />
            {hasReadings ? <>Last known values · {formatAge(age)}</> : <>No readings yet</>}
            {transportDown && <> · not updating (no connection to NUT Sentinel)</>}
          </p>
        )}
        <div className="readings-grid">
          <ChargeGauge value={m.charge} stale={stale} size={variant === 'detail' ? 128 : 108} />
          <dl className="readings-list">
            <div>
              <dt>Runtime</dt>
              <dd data-testid="runtime" className={m.runtime === null ? 'is-unknown' : undefined}>
                {formatRuntime(m.runtime)}
              </dd>
            </div>
            <div>
              <dt>Load</dt>
              <dd data-testid="load" className={m.load === null ? 'is-unknown' : undefined}>
                {formatPercent(m.load)}
                {watts !== null && (
                  <span
                    className="load-watts"
                    data-testid="load-watts"
                    title={wattsSource(m.realPowerSource)}
                  >
                    {' '}
                    · {watts}
                  </span>
                )}
                <Bar value={stale ? null : m.load} label="Load" />
              </dd>
            </div>
            <div>
              <dt>Input</dt>
              <dd
                data-testid="input-voltage"
                className={m.inputVoltage === null ? 'is-unknown' : undefined}
              >
                {formatVoltage(m.inputVoltage)}
              </dd>
            </div>
            <div>
              <dt>Output</dt>
              <dd
                data-testid="output-voltage"
                className={m.outputVoltage === null ? 'is-unknown' : undefined}
              >
                {formatVoltage(m.outputVoltage)}
              </dd>
            </div>
          </dl>
        </div>
        <Sparkline monitorId={ups.monitorId} />
      </div>

      <MasterSees ups={ups} />

      {ups.lastError && !refused && (stale || ups.connection === 'connecting') && (
        <div className="ups-error" data-testid="connection-error">
          <DiagnosisText
            explanation={ups.lastError.explanation}
            fix={ups.lastError.fix}
            code={ups.lastError.code}
          />
        </div>
      )}

      {ups.unknownTokens.length > 0 && (
        <p className="muted small" data-testid="unknown-tokens">
          Status words this app does not know: <code>{ups.unknownTokens.join(' ')}</code>
        </p>
      )}

      <footer className="ups-card-foot">
        <span
          className={`age${stale ? ' is-stale' : ''}`}
          data-testid="data-age"
          title={ups.statusAt ? `Last status read ${formatDateTime(ups.statusAt)}` : undefined}
        >
          <span className={`live-dot${stale ? ' is-off' : ''}`} aria-hidden="true" />
          {ups.statusAt === null
            ? CONNECTION_LABEL[ups.connection]
            : stale
              ? `${frozen && !isStale(ups) ? 'Not updating' : CONNECTION_LABEL[ups.connection]} · updated ${formatAge(age)}`
              : `Updated ${formatAge(age)}`}
        </span>
        <ClientsSummary ups={ups} />
        {variant === 'card' && (
          <a
            className="details-link"
            href={upsHref(ups.monitorId)}
            aria-label={`Details of ${ups.upsName} on ${ups.masterLabel}`}
          >
            Details <ChevronRightIcon size={16} />
          </a>
        )}
      </footer>
    </article>
  );
}

function connectionWords(ups: UpsSnapshot): string {
  if (ups.connection === 'connected' && ups.stale) return 'Data stale';
  return CONNECTION_LABEL[ups.connection];
}

/** "logged in" / "not logged in" — and a deliberate logout of the shutdown sequence said as such. */
function LoginWords({ ups }: { ups: UpsSnapshot }) {
  if (ups.loggedIn) return <span className="role-ok"> · logged in</span>;
  if (ups.connection === 'connecting') return <span className="role-muted"> · logging in…</span>;
  if (ups.connection === 'logged-out')
    return (
      <span className="role-muted">
        {' '}
        · {ups.shutdown.dryRun ? 'logged out for the rehearsal' : 'logged out (shutting down)'}
      </span>
    );
  return <span className="role-bad"> · not logged in</span>;
}

/** The banner's title: a dry run says it rehearses; "Shutting …" only when it is real. */
function shutdownTitle(ups: UpsSnapshot): string {
  const { phase, dryRun, rehearsedAt } = ups.shutdown;
  if (phase === 'rehearsed')
    return `Shutdown rehearsed (dry run)${rehearsedAt === null ? '' : ` at ${formatTimeOfDay(rehearsedAt)}`}`;
  if (phase === 'done' && ups.shutdown.commandOk === false) return 'The shutdown command failed';
  if (dryRun && phase === 'final-delay') return 'Rehearsing the shutdown (dry run, FINALDELAY)';
  if (dryRun && phase === 'command-running')
    return 'Rehearsing the shutdown (dry run): recording the command';
  return SHUTDOWN_PHASE_LABEL[phase];
}

function ShutdownBanner({ ups, now }: { ups: UpsSnapshot; now: number }) {
  const { phase, deadline, dryRun } = ups.shutdown;
  const remaining = deadline === null ? null : deadline - now;
  const rehearsal = phase === 'rehearsed';
  return (
    <div
      className={`shutdown-banner${rehearsal ? ' is-rehearsal' : ''}`}
      role={rehearsal ? 'status' : 'alert'}
      data-testid="shutdown-banner"
      data-phase={phase}
    >
      <PowerIcon size={22} />
      <div>
        <div className="shutdown-title" data-testid="shutdown-title">
          {shutdownTitle(ups)}
          {remaining !== null && (phase === 'waiting-hostsync' || phase === 'final-delay') && (
            <span className="countdown" data-testid="shutdown-countdown">
              {' '}
              · {remaining > 0 ? formatCountdown(remaining) : 'now'}
            </span>
          )}
        </div>
        {rehearsal ? (
          <div className="shutdown-dry">
            This machine logged out like a real shutdown and logged in again; it keeps monitoring.
            The card returns to normal when the UPS is back on line.
          </div>
        ) : (
          dryRun &&
          phase !== 'waiting-hostsync' && (
            <div className="shutdown-dry">
              Dry run: the shutdown command is recorded, not executed.
            </div>
          )
        )}
        {ups.criticalReason && <div className="shutdown-reason">{ups.criticalReason}</div>}
        {phase === 'done' && ups.shutdown.commandOk === false && (
          <AcknowledgeShutdown monitorId={ups.monitorId} />
        )}
      </div>
    </div>
  );
}

function ClientsSummary({ ups }: { ups: UpsSnapshot }) {
  const { list, numLogins, missingExpected } = ups.clients;
  const count = list?.length ?? numLogins;
  if (count === null && missingExpected.length === 0) return null;
  // Never "incl. this machine" beside "not logged in": the list may predate our logout.
  const thisMachine = ups.loggedIn && list?.some((c) => c.isThisMachine);
  return (
    <a
      className={`clients-summary${missingExpected.length ? ' has-missing' : ''}`}
      href={upsHref(ups.monitorId, 'clients')}
      data-testid="clients-summary"
    >
      <ClientsIcon size={14} />
      {count === null ? 'clients unknown' : `${count} logged in`}
      {thisMachine ? ' (incl. this machine)' : ''}
      {missingExpected.length > 0 && <strong> · {missingExpected.length} missing</strong>}
    </a>
  );
}

/** Runs one API call for a button: busy while it runs, the error in words when it fails. */
function useApiAction() {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });
  const run = async (action: () => Promise<unknown>) => {
    setState({ busy: true, error: null });
    try {
      await action();
      setState({ busy: false, error: null });
    } catch (error) {
      setState({ busy: false, error: errorText(error).message });
    }
  };
  return { ...state, run };
}

/** After a real shutdown command that failed (this machine is still up): re-arm the monitor. */
function AcknowledgeShutdown({ monitorId }: { monitorId: string }) {
  const action = useApiAction();
  return (
    <div className="shutdown-ack">
      <p className="small">
        This machine is still running. Re-arm monitoring to react to the next power event.
      </p>
      <button
        type="button"
        className="button button-small"
        disabled={action.busy}
        onClick={() =>
          void action.run(() => api.invoke('monitor:acknowledge-shutdown', { monitorId }))
        }
        data-testid="acknowledge-shutdown"
      >
        Re-arm monitoring
      </button>
      {action.error && (
        <p className="text-bad small" role="alert">
          {action.error}
        </p>
      )}
    </div>
  );
}

/** Policy `ask`: the operator decides what a latched FSD means for this machine. */
function LatchedFsdChoice({ monitorId }: { monitorId: string }) {
  const action = useApiAction();
  const choose = (choice: 'obey' | 'ignore') =>
    void action.run(() => api.invoke('monitor:latched-fsd-choice', { monitorId, choice }));
  return (
    <div className="fsd-latch-choice" role="group" aria-label="What to do about the latched FSD">
      <button
        type="button"
        className="button button-small"
        disabled={action.busy}
        onClick={() => choose('ignore')}
        data-testid="latched-fsd-ignore"
      >
        Ignore while on line
      </button>
      <button
        type="button"
        className="button button-small button-danger"
        disabled={action.busy}
        onClick={() => choose('obey')}
        data-testid="latched-fsd-obey"
      >
        Obey: shut this machine down
      </button>
      {action.error && (
        <p className="text-bad small" role="alert">
          {action.error}
        </p>
      )}
    </div>
  );
}
