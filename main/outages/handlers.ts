/**
 * The `outages:*` and `battery:*` channels (shared/ipc.ts) over the OutageService. app-core
 * spreads `handlers` into its ApiHandlers and feeds the service the monitor's readings and events.
 */
import { findMonitorTarget } from '../../shared/config';
import type { ApiHandlers } from '../../shared/ipc';
import { isBlip, outagesToCsv } from '../../shared/outages';
import { ApiRequestError } from '../platform/api-request-error';
import { OutageService, type OutageServiceDeps } from './outage-service';

export type OutageChannel =
  'outages:list' | 'outages:get' | 'outages:export' | 'battery:get-health';

export interface OutagesModule {
  handlers: Pick<ApiHandlers, OutageChannel>;
  service: OutageService;
}

/** File names carry the UPS (slashes become dashes) and the day of the export. */
function exportName(monitorId: string | undefined, at: number, extension: string): string {
  const who = monitorId ? monitorId.replace(/[^A-Za-z0-9._-]+/g, '-') : 'all-ups';
  return `outages-${who}-${new Date(at).toISOString().slice(0, 10)}.${extension}`;
}

export function createOutages(deps: OutageServiceDeps): OutagesModule {
  const service = new OutageService(deps);
  const requireUps = (monitorId: string) => {
    if (!findMonitorTarget(deps.config(), monitorId))
      throw new ApiRequestError({
        code: 'UNKNOWN-MONITOR',
        message: `No monitored UPS ${monitorId}.`,
        fix: 'Pick a UPS from the list: the configuration may have changed.',
      });
  };
  return {
    service,
    handlers: {
      'outages:list': ({ monitorId, limit }) => {
        const records = service.list(monitorId, limit);
        const blipSeconds = deps.config().outages.blipSeconds;
        return Promise.resolve({
          records,
          blipSeconds,
          blipCount: records.filter((r) => isBlip(r, blipSeconds)).length,
        });
      },
      'outages:get': ({ id }) => {
        const record = service.get(id);
        if (!record)
          return Promise.reject(
            new ApiRequestError({
              code: 'UNKNOWN-OUTAGE',
              message: `No outage record ${id}.`,
              fix: 'Reload the Outages list: the record may have been pruned.',
            }),
          );
        return Promise.resolve(record);
      },
      'outages:export': ({ monitorId, format }) => {
        const records = service.list(monitorId, 5000);
        const at = deps.clock.now();
        return Promise.resolve(
          format === 'csv'
            ? {
                content: outagesToCsv(records),
                fileName: exportName(monitorId, at, 'csv'),
                mimeType: 'text/csv',
                count: records.length,
              }
            : {
                content: `${JSON.stringify({ exportedAt: new Date(at).toISOString(), outages: records }, null, 2)}\n`,
                fileName: exportName(monitorId, at, 'json'),
                mimeType: 'application/json',
                count: records.length,
              },
        );
      },
      'battery:get-health': ({ monitorId }) => {
        requireUps(monitorId);
        return Promise.resolve(service.health(monitorId));
      },
    },
  };
}
