/** The earlier FSD tests of this UPS, newest first, with their downloads. */
import { useEffect, useState } from 'react';
import type { FsdReportSummary } from '../../../../shared/fsd-test';
import { secondaryCountsText } from '../../../../shared/fsd-test';
import { api, errorText } from '../../api';
import { ErrorBox } from '../../components/common';
import { formatDateTime } from '../../format';
import { DownloadButton } from './Report';
import type { ErrorInfo } from './shared';

function secondariesSummary(r: FsdReportSummary): string {
  if (r.mode !== 'master') return '—';
  if (!r.fsdSent) return 'FSD not sent';
  const counts = secondaryCountsText(r);
  return r.outcome === 'completed' ? counts : `${counts} (stopped early)`;
}

export function ReportList({ monitorId, version }: { monitorId: string; version: number }) {
  const [reports, setReports] = useState<FsdReportSummary[] | null>(null);
  const [error, setError] = useState<ErrorInfo>(null);
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('fsd:list-reports', { monitorId, limit: 20 })
      .then((r) => !cancelled && setReports(r))
      .catch((e: unknown) => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [monitorId, version]);
  if (error) return <ErrorBox error={error} />;
  if (!reports || reports.length === 0) return null;
  return (
    <section className="form-section" aria-labelledby="fsd-reports-h" data-testid="fsd-reports">
      <h3 id="fsd-reports-h">Earlier tests</h3>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Mode</th>
              <th scope="col">Outcome</th>
              <th scope="col">Secondaries</th>
              <th scope="col">Report</th>
            </tr>
          </thead>
          <tbody>
            {reports.map((r) => (
              <tr key={r.id}>
                <td className="nowrap">{formatDateTime(r.at)}</td>
                <td>
                  {r.mode}
                  {r.dryRun ? ' (dry run)' : ''}
                </td>
                <td>{r.outcome}</td>
                <td data-testid="fsd-report-secondaries">{secondariesSummary(r)}</td>
                <td className="nowrap">
                  <DownloadButton id={r.id} format="markdown" label="Markdown" />{' '}
                  <DownloadButton id={r.id} format="json" label="JSON" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
