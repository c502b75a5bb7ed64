/**
 * FSD test reports: the plain-language summary, the Markdown export (tables that survive odd
 * output, code fences that survive backticks), the list summary and the parsing of stored JSON.
 */
import { describe, expect, it } from 'vitest';
import { type FsdReport, FsdReportSchema, secondaryCountsText } from '../../shared/fsd-test';
import {
  exportReport,
  latchNote,
  parseReport,
  renderMarkdown,
  reportSummary,
  summarize,
} from './report';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

function masterReport(overrides: Partial<FsdReport> = {}): FsdReport {
  const report: FsdReport = {
    id: 'r-1',
    at: T0 - 1000,
    monitorId: 'nas/ups',
    mode: 'master',
    upsName: 'ups',
    systemName: 'ups@nas.lan',
    outcome: 'completed',
    master: {
      host: 'nas.lan',
      port: 3493,
      kind: 'synology',
      version: 'Network UPS Tools upsd DSM7-2',
      protocol: '1.2',
    },
    hostSync: { seconds: 15, source: 'default', note: 'assumed' },
    graceSeconds: 10,
    checks: [
      {
        id: 'fsd-right',
        title: 'Credential with the FSD right',
        status: 'ok',
        detail: 'MASTER ups granted | ok',
        overridable: false,
      },
      {
        id: 'synology',
        title: 'Synology master',
        status: 'warning',
        detail: 'DSM enters Safe Mode',
        fix: 'restart the UPS service',
        overridable: false,
      },
    ],
    overridden: [],
    credentialUser: 'monuser',
    fsdSetAt: T0,
    finishedAt: T0 + 25_000,
    totalMs: 25_000,
    timeline: [
      { at: T0, t: 0, kind: 'fsd-set', message: 'OK FSD-SET' },
      {
        at: T0 + 2100,
        t: 2100,
        kind: 'client-left',
        message: '10.0.0.11 (pi1.lan) logged out 2.1 s after FSD.',
      },
    ],
    secondaries: [
      {
        address: '10.0.0.11',
        hostname: 'pi1.lan',
        isThisMachine: false,
        leftAt: T0 + 2100,
        leftAtMs: 2100,
        resolutionMs: 200,
        verdict: 'in-time',
      },
      {
        address: '10.0.0.12',
        hostname: null,
        isThisMachine: false,
        leftAt: T0 + 18_000,
        leftAtMs: 18_000,
        resolutionMs: 201,
        verdict: 'late',
      },
      {
        address: '10.0.0.13',
        hostname: null,
        isThisMachine: false,
        leftAt: null,
        leftAtMs: null,
        resolutionMs: null,
        verdict: 'never',
      },
      {
        address: '10.0.0.5',
        hostname: 'desk.lan',
        isThisMachine: true,
        leftAt: T0 + 1500,
        leftAtMs: 1500,
        resolutionMs: 199,
        verdict: 'in-time',
      },
    ],
    perClient: true,
    numLogins: { before: 4, after: 1 },
    local: null,
    latch: { note: latchNote(true), watching: true, clearedAt: null },
    summary: [],
    error: null,
    ...overrides,
  };
  report.summary = summarize(report);
  return report;
}

describe('FSD test report', () => {
  it('summarizes a master-mode run: who was late, who never left, this machine, NUMLOGINS, the latch', () => {
    const report = masterReport();
    expect(report.summary[0]).toBe(
      '2 of 3 secondaries did not log out within HOSTSYNC 15 s (assumed): 10.0.0.12 left late, after 18.0 s; 10.0.0.13 was still logged in at the end. ' +
        'The master stops waiting after HOSTSYNC and cuts the power while they are still up.',
    );
    expect(report.summary).toContain('This machine logged out after 1.5 s (within HOSTSYNC).');
    expect(report.summary).toContain('NUMLOGINS 4 → 1.');
    expect(report.summary).toContain('Total time: 25.0 s.');
    // One count for the summary, the table and "Earlier tests": the others, this machine apart.
    expect(report.summary).toContain('Other secondaries: 1 in time · 1 late · 1 never.');
    expect(secondaryCountsText(reportSummary(report))).toBe(
      '1 in time · 1 late · 1 never · this machine: in time',
    );
    // The page shows the latch above the report, the Markdown below: no direction.
    expect(report.summary.at(-1)).toBe(
      'The FSD latch is still set on the master: restart upsd there to clear it.',
    );
    expect(report.latch!.note).toMatch(/Safe Mode/);
    expect(latchNote(false)).not.toMatch(/Safe Mode/);
  });

  it('all in time, nobody else, LIST CLIENT unavailable, aborted, failed', () => {
    const allIn = masterReport({
      secondaries: [
        {
          address: '10.0.0.11',
          hostname: null,
          isThisMachine: false,
          leftAt: T0 + 900,
          leftAtMs: 900,
          resolutionMs: 200,
          verdict: 'in-time',
        },
      ],
    });
    expect(allIn.summary[0]).toBe(
      'All 1 secondary logged out within HOSTSYNC 15 s (assumed); the slowest after 0.9 s.',
    );
    expect(masterReport({ secondaries: [] }).summary[0]).toBe(
      'No secondary other than this machine was logged in.',
    );
    expect(masterReport({ perClient: false, secondaries: [] }).summary[0]).toBe(
      'The master does not list its clients: only NUMLOGINS was followed (4 → 1).',
    );
    expect(
      masterReport({ outcome: 'aborted', fsdSetAt: null, latch: null, secondaries: [] }).summary[0],
    ).toBe('Aborted before anything was sent to the master.');
    const failed = masterReport({
      outcome: 'failed',
      fsdSetAt: null,
      latch: null,
      error: { code: 'ACCESS-DENIED', message: 'FSD was not set: ACCESS-DENIED' },
    });
    expect(failed.summary[0]).toBe('Failed: FSD was not set: ACCESS-DENIED');
  });

  it('renders Markdown with escaped table cells and fences that survive backticks in hook output', () => {
    const local: FsdReport['local'] = {
      dryRun: false,
      finalDelaySeconds: 5,
      hooks: [
        {
          source: 'event-hook',
          program: '/usr/local/bin/stop-vms',
          args: ['--all'],
          startedAtMs: 3,
          durationMs: 1200,
          exitCode: 1,
          signal: null,
          timedOut: false,
          stdout: 'uses ``` fences | pipes\n',
          stderr: 'boom\n',
          spawnError: null,
        },
      ],
      upsschedTimers: ['late (30 s)'],
      command: {
        program: '/sbin/shutdown',
        args: ['-h', '+0'],
        isDefault: true,
        dryRun: false,
        startedAtMs: 5001,
        durationMs: 40,
        exitCode: 0,
        signal: null,
        timedOut: false,
        stdout: '',
        stderr: '',
        spawnError: null,
      },
      sessionLoggedOut: true,
      sessionResumed: false,
      measured: { hooksMs: 1203, finalDelayMs: 5001, commandMs: 40, totalMs: 5041 },
    };
    const report = masterReport({
      mode: 'local',
      fsdSetAt: null,
      secondaries: [],
      latch: null,
      local,
      timeline: [
        { at: T0, t: 0, kind: 'notify', message: 'SHUTDOWN | with a pipe\nand a newline' },
      ],
    });
    expect(report.summary[0]).toBe(
      'SHUTDOWN: 1 hook run (1 failed), done after 1.2 s; FINALDELAY 5 s; the shutdown command ran for 0.0 s (exit 0).',
    );
    expect(report.summary).toContain('Hook /usr/local/bin/stop-vms exited with 1.');
    expect(report.summary).toContain('The live session logged out when the command started.');
    const markdown = renderMarkdown(report);
    expect(markdown).toContain(
      '| +0.00 s | 2026-01-02T03:04:05.000Z | SHUTDOWN \\| with a pipe and a newline |',
    );
    expect(markdown).toContain('````\nuses ``` fences | pipes\n````');
    expect(markdown).toContain(
      '- Shutdown command: `/sbin/shutdown -h +0` (platform default) — exit 0',
    );
    expect(markdown).toContain(
      '- upssched timers started: late (30 s) (cancelled at the end of the test)',
    );
    expect(markdown).not.toContain('## Secondaries');

    const master = renderMarkdown(masterReport());
    expect(master).toContain('| 10.0.0.11 | pi1.lan | 2.1 s (±200 ms) | in time |');
    expect(master).toContain('| 10.0.0.12 |  | 18.0 s (±201 ms) | **late** |');
    expect(master).toContain('| 10.0.0.13 |  | still logged in at the end | **never** |');
    expect(master).toContain('| 10.0.0.5 (this machine) | desk.lan | 1.5 s (±199 ms) | in time |');
    expect(master).toContain('| Credential with the FSD right | ok | MASTER ups granted \\| ok |');
    expect(master).toContain(
      '| Synology master | warning | DSM enters Safe Mode — Fix: restart the UPS service |',
    );
    expect(master).toContain('**Still set** when this report was written.');
  });

  it('a run that stopped early does not claim who was "still logged in", and the list tells runs without FSD apart', () => {
    const failed = masterReport({
      outcome: 'failed',
      error: { code: 'CONNECTION-CLOSED', message: 'The master closed the connection.' },
    });
    expect(failed.summary.join(' ')).toContain(
      '10.0.0.13 was not seen leaving before the test stopped',
    );
    expect(failed.summary.join(' ')).not.toContain('still logged in');
    expect(renderMarkdown(failed)).toContain(
      '| 10.0.0.13 |  | not seen leaving before the test stopped | **never** |',
    );
    expect(reportSummary(failed)).toMatchObject({
      outcome: 'failed',
      fsdSent: true,
      inTime: 1,
      late: 1,
      never: 1,
    });

    const aborted = masterReport({
      outcome: 'aborted',
      fsdSetAt: null,
      secondaries: [],
      latch: null,
    });
    expect(aborted.summary[0]).toBe('Aborted before anything was sent to the master.');
    expect(reportSummary(aborted)).toMatchObject({
      outcome: 'aborted',
      fsdSent: false,
      inTime: 0,
      late: 0,
      never: 0,
    });
  });

  it('exports JSON that parses back, lists a summary, and rejects what is not a report', () => {
    const report = masterReport();
    const json = exportReport(report, 'json');
    expect(json.mimeType).toBe('application/json');
    expect(json.fileName).toBe('fsd-test-master-ups-2026-01-02T03-04-04-000Z.json');
    expect(FsdReportSchema.parse(JSON.parse(json.content))).toEqual(report);
    expect(exportReport(report, 'markdown').fileName).toBe(
      'fsd-test-master-ups-2026-01-02T03-04-04-000Z.md',
    );
    expect(parseReport(JSON.parse(json.content))).toEqual(report);
    expect(parseReport({ id: 'x', at: 1, monitorId: 'a/b' })).toBeNull();
    expect(reportSummary(report)).toEqual({
      id: 'r-1',
      at: T0 - 1000,
      monitorId: 'nas/ups',
      mode: 'master',
      upsName: 'ups',
      outcome: 'completed',
      totalMs: 25_000,
      fsdSent: true,
      inTime: 1,
      late: 1,
      never: 1,
      thisMachine: 'in-time',
      dryRun: null,
      latchClearedAt: null,
    });
  });
});
