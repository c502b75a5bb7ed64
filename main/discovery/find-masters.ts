/**
 * The `discovery:find-masters` handler: the request from the UI, completed by the operator's
 * defaults, and a refused range turned into an API error the UI shows with its fix.
 */
import type { DiscoveryRequest, DiscoveryResult } from '../../shared/discovery';
import { ApiRequestError } from '../platform/api-request-error';
import { type DiscoverOptions, discover } from './discover';
import { ScanRangeError } from './networks';

export interface DiscoveryDefaults {
  /** Searched instead of the local subnets when a request names no range (confirmed by whoever set them). */
  ranges?: readonly string[];
  /** NUT port to probe (default 3493). */
  port?: number;
  /** false: never browse mDNS, whatever the request says. */
  mdns?: boolean;
}

export async function findMasters(
  request: DiscoveryRequest,
  options: DiscoveryDefaults & Pick<DiscoverOptions, 'connect' | 'subnets' | 'browse'>,
): Promise<DiscoveryResult> {
  const useDefaults = (request.ranges ?? []).length === 0 && (options.ranges ?? []).length > 0;
  try {
    return await discover(
      {
        ...request,
        ...(useDefaults ? { ranges: [...options.ranges!], allowOutsideLocal: true } : {}),
        mdns: options.mdns !== false && request.mdns !== false,
      },
      {
        ...(options.port ? { port: options.port } : {}),
        ...(options.connect ? { connect: options.connect } : {}),
        ...(options.subnets ? { subnets: options.subnets } : {}),
        ...(options.browse ? { browse: options.browse } : {}),
      },
    );
  } catch (error) {
    if (!(error instanceof ScanRangeError)) throw error;
    throw new ApiRequestError({
      code: 'RANGE-REFUSED',
      message: error.message,
      fix: 'Search your own network, or type the master’s address and confirm the range is yours.',
    });
  }
}
