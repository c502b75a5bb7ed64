/**
 * FSD test reports: the plain-language summary, the Markdown export, the list summary and the
 * parsing of stored reports (the JSON schema is shared/fsd-test.ts FsdReportSchema; the history
 * store keeps each report whole).
 */
import {
  type FsdReport,
  FsdReportSchema,
  type FsdReportSummary,
  type FsdSecondaryResult,
  VERDICT_TEXT,
  notLeftText,
  secondaryCounts,
  secondaryCountsText,
} from '../../shared/fsd-test';

/** Why FSD stays after a master-mode test, and what clears it. */
export function latchNote(synology: boolean): string {
  const base =
    'upsd keeps FSD set (a latch) until upsd itself is restarted: after this test the master keeps advertising FSD, and a secondary that connects and obeys it ' +
    'shuts down at once. Restart upsd on the master to clear it (Proxmox/Debian: `systemctl restart nut-server`; `upsd -c reload` does not clear it). ' +
    'NUT Sentinel watches ups.status and records when the latch is gone.';
  return synology
    ? `${base} On a Synology NAS, DSM does not power off on FSD: it enters Safe Mode and keeps upsd running, so the latch stays until you disable and re-enable the network UPS server (Control Panel → Hardware & Power → UPS) or reboot the NAS.`
    : base;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function who(s: Pick<FsdSecondaryResult, 'address' | 'hostname' | 'isThisMachine'>): string {
  const name = s.hostname ? `${s.address} (${s.hostname})` : s.address;
  return s.isThisMachine ? `${name}, this machine` : name;
}

/** The report's findings in plain language, most important first. */
export function summarize(report: FsdReport): string[] {
  const lines: string[] = [];
  if (report.outcome === 'failed' && report.error) lines.push(`Failed: ${report.error.message}`);
  if (report.outcome === 'aborted')
    lines.push(
      report.fsdSetAt === null
        ? 'Aborted before anything was sent to the master.'
        : 'Aborted after FSD was set: the observation stopped early.',
    );
  if (report.mode === 'master' && report.fsdSetAt !== null) {
    const hostSync = `HOSTSYNC ${report.hostSync.seconds} s${report.hostSync.source === 'default' ? ' (assumed)' : ''}`;
    const others = report.secondaries.filter((s) => !s.isThisMachine);
    const notInTime = others.filter((s) => s.verdict !== 'in-time');
    const counts = secondaryCounts(report.secondaries);
    if (!report.perClient) {
      lines.push(
        `The master does not list its clients: only NUMLOGINS was followed (${report.numLogins.before ?? '?'} → ${report.numLogins.after ?? '?'}).`,
      );
    } else if (others.length === 0) {
      lines.push('No secondary other than this machine was logged in.');
    } else if (notInTime.length === 0) {
      const slowest = Math.max(...others.map((s) => s.leftAtMs ?? 0));
      lines.push(
        `All ${others.length} secondar${others.length === 1 ? 'y' : 'ies'} logged out within ${hostSync}; the slowest after ${seconds(slowest)}.`,
      );
    } else {
      const described = notInTime.map((s) =>
        s.verdict === 'late'
          ? `${who(s)} left late, after ${seconds(s.leftAtMs ?? 0)}`
          : `${who(s)} was ${notLeftText(report.outcome)}`,
      );
      lines.push(
        `${notInTime.length} of ${others.length} secondar${others.length === 1 ? 'y' : 'ies'} did not log out within ${hostSync}: ${described.join('; ')}. The master stops waiting after HOSTSYNC and cuts the power while they are still up.`,
      );
    }
    const own = report.secondaries.find((s) => s.isThisMachine);
    if (own)
      lines.push(
        own.leftAtMs === null
          ? `This machine was ${notLeftText(report.outcome)}.`
          : `This machine logged out after ${seconds(own.leftAtMs)} (${own.verdict === 'in-time' ? 'within' : 'after'} HOSTSYNC).`,
      );
    if (report.perClient && counts.others > 0)
      lines.push(`Other secondaries: ${secondaryCountsText({ ...counts, thisMachine: null })}.`);
    if (report.numLogins.before !== null || report.numLogins.after !== null)
      lines.push(`NUMLOGINS ${report.numLogins.before ?? '?'} → ${report.numLogins.after ?? '?'}.`);
  }
  if (report.mode === 'local' && report.local) {
    const local = report.local;
    const failed = local.hooks.filter(
      (h) => h.exitCode !== 0 || h.timedOut || h.spawnError !== null,
    );
    lines.push(
      `SHUTDOWN: ${local.hooks.length} hook run${local.hooks.length === 1 ? '' : 's'}${failed.length > 0 ? ` (${failed.length} failed)` : ''}, done after ${seconds(local.measured.hooksMs)}; ` +
        `FINALDELAY ${local.finalDelaySeconds} s; ` +
        (local.command === null
          ? 'the shutdown command was not reached.'
          : local.command.dryRun
            ? `shutdown command recorded, not run (dry run): ${[local.command.program, ...local.command.args].join(' ')}.`
            : local.command.spawnError
              ? `the shutdown command could not start: ${local.command.spawnError}.`
              : `the shutdown command ran for ${seconds(local.command.durationMs ?? 0)} (exit ${local.command.exitCode ?? local.command.signal ?? '?'}).`),
    );
    for (const hook of failed) {
      lines.push(
        `Hook ${hook.program} ${hook.spawnError ? `could not start: ${hook.spawnError}` : hook.timedOut ? 'timed out' : `exited with ${hook.exitCode ?? hook.signal ?? '?'}`}.`,
      );
    }
    if (local.sessionLoggedOut)
      lines.push(
        `The live session logged out when the command started${local.sessionResumed ? ' and logged in again afterwards' : ''}.`,
      );
    else lines.push('The master was not touched: no FSD, and the live session stayed logged in.');
  }
  lines.push(`Total time: ${seconds(report.totalMs)}.`);
  if (report.latch)
    lines.push(
      report.latch.clearedAt === null
        ? 'The FSD latch is still set on the master: restart upsd there to clear it.'
        : `The FSD latch was cleared at ${new Date(report.latch.clearedAt).toISOString()}.`,
    );
  return lines;
}

/** A stored report, validated; null when it is not one of ours (or from an incompatible version). */
export function parseReport(value: unknown): FsdReport | null {
  const parsed = FsdReportSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export function reportSummary(report: FsdReport): FsdReportSummary {
  const { inTime, late, never, thisMachine } = secondaryCounts(report.secondaries);
  return {
    id: report.id,
    at: report.at,
    monitorId: report.monitorId,
    mode: report.mode,
    upsName: report.upsName,
    outcome: report.outcome,
    totalMs: report.totalMs,
    fsdSent: report.fsdSetAt !== null,
    inTime,
    late,
    never,
    thisMachine,
    dryRun: report.local?.dryRun ?? null,
    latchClearedAt: report.latch?.clearedAt ?? null,
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text.replace(/\s+$/, '')}\n${ticks}`;
}

function iso(at: number | null): string {
  return at === null ? '—' : new Date(at).toISOString();
}

function signedSeconds(ms: number): string {
  return `${ms < 0 ? '−' : '+'}${(Math.abs(ms) / 1000).toFixed(2)} s`;
}

/** The report as Markdown (for the export and the CLI). */
export function renderMarkdown(report: FsdReport): string {
  const out: string[] = [];
  out.push(`# FSD test (${report.mode} mode) — ${report.systemName}`, '');
  out.push(`- Result: **${report.outcome}**`);
  out.push(
    `- Started: ${iso(report.at)}; finished: ${iso(report.finishedAt)}; total ${seconds(report.totalMs)}`,
  );
  out.push(
    `- Master: ${report.master.host}:${report.master.port} — ${report.master.version ?? 'version unknown'}${report.master.protocol ? ` (protocol ${report.master.protocol})` : ''}`,
  );
  if (report.mode === 'master') {
    out.push(
      `- FSD set: ${iso(report.fsdSetAt)}${report.credentialUser ? ` by "${report.credentialUser}"` : ''}`,
    );
    out.push(
      `- HOSTSYNC: ${report.hostSync.seconds} s (${report.hostSync.source === 'default' ? 'assumed' : 'as entered'}); observed until HOSTSYNC + ${report.graceSeconds} s grace`,
    );
  }
  if (report.overridden.length > 0)
    out.push(`- Blockers overridden: ${report.overridden.join(', ')}`);
  out.push('', '## Summary', '');
  for (const line of report.summary) out.push(`- ${line}`);
  if (report.error)
    out.push(
      '',
      `**Error (${report.error.code}):** ${report.error.message}${report.error.fix ? `  \nFix: ${report.error.fix}` : ''}`,
    );

  if (report.mode === 'master' && report.fsdSetAt !== null) {
    out.push('', '## Secondaries', '');
    if (report.secondaries.length === 0)
      out.push(
        report.perClient
          ? 'Nobody was logged in.'
          : 'Not available: the master does not list its clients (LIST CLIENT).',
      );
    else {
      out.push('| Address | Name | Logged out after FSD | Verdict |', '|---|---|---|---|');
      // The other secondaries first, this machine apart at the end (as in the page).
      for (const s of [
        ...report.secondaries.filter((x) => !x.isThisMachine),
        ...report.secondaries.filter((x) => x.isThisMachine),
      ]) {
        const left =
          s.leftAtMs === null
            ? notLeftText(report.outcome)
            : `${seconds(s.leftAtMs)}${s.resolutionMs !== null ? ` (±${s.resolutionMs} ms)` : ''}`;
        const verdict =
          s.verdict === 'in-time' ? VERDICT_TEXT[s.verdict] : `**${VERDICT_TEXT[s.verdict]}**`;
        out.push(
          `| ${cell(s.address)}${s.isThisMachine ? ' (this machine)' : ''} | ${cell(s.hostname ?? '')} | ${left} | ${verdict} |`,
        );
      }
    }
    out.push(
      '',
      `NUMLOGINS before: ${report.numLogins.before ?? '?'}, at the end: ${report.numLogins.after ?? '?'}.`,
    );
  }

  if (report.local) {
    const local = report.local;
    out.push('', '## This machine’s shutdown sequence', '');
    out.push(
      `- Dry run: ${local.dryRun ? 'yes (the shutdown command was recorded, not run)' : 'no (the command ran for real)'}`,
    );
    out.push(
      `- FINALDELAY: ${local.finalDelaySeconds} s${local.measured.finalDelayMs !== null ? ` (measured ${local.measured.finalDelayMs} ms)` : ''}`,
    );
    out.push(
      `- Hooks done after: ${local.measured.hooksMs} ms; command: ${local.measured.commandMs === null ? '—' : `${local.measured.commandMs} ms`}; total ${local.measured.totalMs} ms`,
    );
    if (local.upsschedTimers.length > 0)
      out.push(
        `- upssched timers started: ${local.upsschedTimers.join(', ')} (cancelled at the end of the test)`,
      );
    if (local.command) {
      const c = local.command;
      out.push(
        `- Shutdown command: \`${[c.program, ...c.args].join(' ')}\`${c.isDefault ? ' (platform default)' : ''}${c.dryRun ? ' — dry run' : ` — exit ${c.exitCode ?? c.signal ?? '?'}${c.timedOut ? ', timed out' : ''}`}`,
      );
      if (c.spawnError) out.push(`  - could not start: ${c.spawnError}`);
      if (c.stdout.trim()) out.push('', 'stdout:', '', fence(c.stdout));
      if (c.stderr.trim()) out.push('', 'stderr:', '', fence(c.stderr));
    }
    for (const hook of local.hooks) {
      out.push('', `### ${hook.source}: \`${[hook.program, ...hook.args].join(' ')}\``, '');
      out.push(
        `Started ${signedSeconds(hook.startedAtMs)}, ran ${hook.durationMs} ms, ${hook.spawnError ? `could not start: ${hook.spawnError}` : hook.timedOut ? 'timed out' : `exit ${hook.exitCode ?? hook.signal ?? '?'}`}.`,
      );
      if (hook.stdout.trim()) out.push('', 'stdout:', '', fence(hook.stdout));
      if (hook.stderr.trim()) out.push('', 'stderr:', '', fence(hook.stderr));
    }
  }

  out.push('', '## Timeline', '', '| t | Time | Event |', '|---|---|---|');
  for (const entry of report.timeline)
    out.push(`| ${signedSeconds(entry.t)} | ${iso(entry.at)} | ${cell(entry.message)} |`);

  if (report.latch) {
    out.push('', '## The FSD latch', '', report.latch.note, '');
    out.push(
      report.latch.clearedAt === null
        ? '**Still set** when this report was written.'
        : `Cleared at ${iso(report.latch.clearedAt)}.`,
    );
  }

  out.push('', '## Preflight', '', '| Check | Status | Detail |', '|---|---|---|');
  for (const check of report.checks) {
    const overridden = report.overridden.includes(check.id) ? ' (overridden)' : '';
    out.push(
      `| ${cell(check.title)} | ${check.status}${overridden} | ${cell(check.detail)}${check.fix ? ` — Fix: ${cell(check.fix)}` : ''} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

export function exportReport(
  report: FsdReport,
  format: 'json' | 'markdown',
): { content: string; fileName: string; mimeType: string } {
  const stamp = new Date(report.at).toISOString().replace(/[:.]/g, '-');
  const base = `fsd-test-${report.mode}-${report.upsName}-${stamp}`;
  return format === 'json'
    ? {
        content: `${JSON.stringify(report, null, 2)}\n`,
        fileName: `${base}.json`,
        mimeType: 'application/json',
      }
    : { content: renderMarkdown(report), fileName: `${base}.md`, mimeType: 'text/markdown' };
}
