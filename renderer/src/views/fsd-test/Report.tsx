/** The report of a finished FSD test: its summary, who logged out when, and the downloads. */
import { useEffect, useState } from 'react';
import type { FsdReport } from '../../../../shared/fsd-test';
import {
  VERDICT_TEXT,
  notLeftText,
  secondaryCounts,
  secondaryCountsText,
} from '../../../../shared/fsd-test';
import { api, errorText } from '../../api';
import { ErrorBox, RichText } from '../../components/common';
import type { ErrorInfo } from './shared';
import { downloadFile } from '../../download';

export function ReportActions({
  id,
  latchClearedAt,
}: {
  id: string;
  latchClearedAt: number | null;
}) {
  const [report, setReport] = useState<FsdReport | null>(null);
  const [error, setError] = useState<ErrorInfo>(null);
  // Fetched again when the latch clears: the stored report's summary and latch change then.
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:get-report', { id, format: 'json' })
      .then((r) => !cancelled && setReport(r.report))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [id, latchClearedAt]);
  const summary = report?.summary ?? null;
  return (
    <div className="fsd-report" data-testid="fsd-report">
      {summary && summary.length > 0 && (
        <ul className="hint-list">
          {summary.map((s, i) => (
            <li key={i}>
              <RichText text={s} />
            </li>
          ))}
        </ul>
      )}
      {report &&
        report.mode === 'master' &&
        report.fsdSetAt !== null &&
        report.secondaries.length > 0 && <SecondariesTable report={report} />}
      <ErrorBox error={error} />
      <div className="button-row">
        <DownloadButton id={id} format="markdown" label="Download report (Markdown)" />
        <DownloadButton id={id} format="json" label="JSON" />
      </div>
    </div>
  );
}

/** Who logged out when after FSD, as the master saw it (LIST CLIENT): the other secondaries, then this machine apart. */
function SecondariesTable({ report }: { report: FsdReport }) {
  const counts = secondaryCounts(report.secondaries);
  const others = report.secondaries.filter((s) => !s.isThisMachine);
  const own = report.secondaries.filter((s) => s.isThisMachine);
  const row = (s: FsdReport['secondaries'][number], i: number) => (
    <tr
      key={i}
      data-testid="fsd-secondary"
      data-address={s.address}
      data-this-machine={s.isThisMachine}
      data-verdict={s.verdict}
    >
      <td className="mono">
        {s.address}
        {s.hostname && <span className="muted"> ({s.hostname})</span>}
        {s.isThisMachine && <span className="badge">this machine</span>}
      </td>
      <td className="nowrap" data-testid="fsd-secondary-left">
        {s.leftAtMs !== null
          ? `${(s.leftAtMs / 1000).toFixed(1)} s${s.resolutionMs !== null ? ` (±${s.resolutionMs} ms)` : ''}`
          : notLeftText(report.outcome)}
      </td>
      <td>
        <span className={`badge${s.verdict === 'in-time' ? '' : ' badge-bad'}`}>
          {VERDICT_TEXT[s.verdict]}
        </span>
      </td>
    </tr>
  );
  return (
    <div className="table-wrap">
      <table data-testid="fsd-secondaries">
        <caption className="muted small" data-testid="fsd-secondaries-counts">
          Other secondaries (HOSTSYNC {report.hostSync.seconds} s): {secondaryCountsText(counts)}
        </caption>
        <thead>
          <tr>
            <th scope="col">Address</th>
            <th scope="col">Logged out after FSD</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody data-testid="fsd-secondaries-others">
          {others.length === 0 ? (
            <tr>
              <td colSpan={3} className="muted">
                No other secondary was logged in.
              </td>
            </tr>
          ) : (
            others.map(row)
          )}
        </tbody>
        {own.length > 0 && (
          <tbody data-testid="fsd-secondaries-own">
            <tr>
              <th scope="rowgroup" colSpan={3} className="small">
                This machine
              </th>
            </tr>
            {own.map(row)}
          </tbody>
        )}
      </table>
    </div>
  );
}

export function DownloadButton({
  id,
  format,
  label,
}: {
  id: string;
  format: 'json' | 'markdown';
  label: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setError(null);
    try {
      const exp = await api.invoke('fsd:get-report', { id, format });
      downloadFile(exp);
    } catch (e) {
      setError(errorText(e).message);
    }
  };
  return (
    <>
      <button type="button" className="button button-small" onClick={() => void download()}>
        {label}
      </button>
      {error && <span className="field-error">{error}</span>}
    </>
  );
}

/** The "Secondaries" cell of an earlier test: counts only where FSD reached the master. */
