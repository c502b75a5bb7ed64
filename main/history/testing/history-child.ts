/**
 * A second process for the history tests (run with `node --import tsx`):
 * - `crash <db>`: appends an event and flushed samples, buffers one more sample, then dies by
 *   SIGKILL (no close, no flush): what was committed must survive, the lock must be reclaimable.
 * - `hold <db>`: opens the store, prints `ready <pid>` and keeps it open until killed.
 */
import { HistoryStore } from '../history-store';

const [mode, dbPath] = process.argv.slice(2);
if ((mode !== 'crash' && mode !== 'hold') || dbPath === undefined) {
  process.stderr.write('usage: history-child.ts crash|hold <db>\n');
  process.exit(2);
}

const store = HistoryStore.open(dbPath, {
  retentionDays: 3650,
  maxEvents: 1_000_000,
  pruneOnOpen: false,
});

if (mode === 'crash') {
  const at = Date.UTC(2025, 0, 1);
  for (let i = 0; i < 10; i++) {
    store.appendSample({
      at: at + i * 1000,
      monitorId: 'nas/ups',
      charge: 90 + i,
      runtime: null,
      load: 20,
      inputVoltage: 230.5,
      status: 'OL',
    });
  }
  store.flush();
  const event = store.appendEvent({
    at: at + 10_000,
    monitorId: 'nas/ups',
    kind: 'notify',
    type: 'LOWBATT',
    severity: 'critical',
    message: 'UPS ups@nas battery is low',
    data: { charge: 9 },
  });
  // Buffered only: lost with the process, by design.
  store.appendSample({
    at: at + 11_000,
    monitorId: 'nas/ups',
    charge: 1,
    runtime: 1,
    load: 1,
    inputVoltage: 1,
    status: 'OB',
  });
  process.stdout.write(`event ${event.id}\n`, () => process.kill(process.pid, 'SIGKILL'));
} else {
  process.stdout.write(`ready ${process.pid}\n`);
  setInterval(() => undefined, 60_000);
}
