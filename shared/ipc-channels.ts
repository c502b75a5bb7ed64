/**
 * The names of the API channels, and nothing else: no zod, no schemas. The contract
 * (shared/ipc.ts) is keyed by exactly these names (the compiler checks both directions), and the
 * Electron preload, which is sandboxed and may bundle nothing heavy, takes its allow-list from
 * here. Adding a channel starts here; see CONTRIBUTING.md, "Adding an IPC channel".
 */

/** Request → response channels. Keep names `area:verb-noun`. */
export const INVOKE_CHANNELS = [
  'app:get-snapshot',
  'ups:get-variables',
  'events:query',
  'history:query-samples',
  'config:get',
  'config:save',
  'config:test-connection',
  'discovery:find-masters',
  'config:import-upsmon',
  'config:undo-import',
  'secrets:set-password',
  'notifications:recent',
  'alerts:status',
  'alerts:test',
  'secrets:set-channel-secret',
  'notifications:set-paused',
  'monitor:acknowledge-shutdown',
  'monitor:latched-fsd-choice',
  'fsd:preflight',
  'fsd:start',
  'fsd:abort',
  'fsd:get-run',
  'fsd:list-reports',
  'fsd:get-report',
  'fsd:forget-credential',
  'ups:list-controls',
  'ups:run-command',
  'ups:set-variable',
  'ups:forget-command-credential',
  'ups:get-self-tests',
  'ups:run-self-test',
  'ups:get-what-if',
  'outages:list',
  'outages:get',
  'outages:export',
  'battery:get-health',
  'service:status',
  'service:install',
] as const;

/** Core → UI push channels. */
export const PUSH_CHANNELS = [
  'app:snapshot',
  'events:appended',
  'app:navigate',
  'fsd:progress',
] as const;

export type InvokeChannel = (typeof INVOKE_CHANNELS)[number];
export type PushChannel = (typeof PUSH_CHANNELS)[number];

const invokeNames: ReadonlySet<string> = new Set(INVOKE_CHANNELS);
const pushNames: ReadonlySet<string> = new Set(PUSH_CHANNELS);

export function isInvokeChannel(value: unknown): value is InvokeChannel {
  return typeof value === 'string' && invokeNames.has(value);
}

export function isPushChannel(value: unknown): value is PushChannel {
  return typeof value === 'string' && pushNames.has(value);
}
