// Who may import whom inside main/ (lint-enforced by main/eslint.config.js; tested in
// main/eslint-rules.test.ts). Every folder of main/ is listed with the folders it may import
// besides its own and shared/; `'*'` means any. Tests, testing/ helpers and benches are exempt
// (they may use anything), but no product code imports them. A new folder needs a line here.
//
// platform/ is the bottom (ports and their Node implementations); the feature folders build on it
// and on each other without cycles; core/ is the composition that wires them; the transports and
// front ends (bridge, electron, cli) sit on top.

/** @type {Record<string, readonly string[] | '*'>} */
export const MAIN_LAYERS = {
  platform: [],
  nut: ['platform'],
  config: ['platform'],
  history: ['platform'],
  hooks: ['platform'],
  notify: ['platform'],
  metrics: ['platform'],
  monitor: ['platform', 'nut', 'hooks'],
  doctor: ['platform', 'nut'],
  discovery: ['platform', 'nut'],
  channels: ['platform', 'history'],
  mqtt: ['platform', 'channels'],
  demo: ['platform', 'nut'],
  'fsd-test': ['platform', 'nut', 'hooks', 'monitor'],
  outages: ['platform', 'history'],
  'what-if': ['platform'],
  'ups-commands': ['platform', 'nut'],
  core: [
    'platform',
    'nut',
    'config',
    'history',
    'hooks',
    'notify',
    'metrics',
    'monitor',
    'doctor',
    'discovery',
    'channels',
    'mqtt',
    'fsd-test',
    'outages',
    'what-if',
    'ups-commands',
  ],
  bridge: ['platform', 'core'],
  control: ['platform', 'core', 'service'],
  electron: ['platform', 'core', 'notify', 'control', 'service'],
  service: ['platform'],
  cli: [
    'platform',
    'core',
    'bridge',
    'channels',
    'config',
    'demo',
    'discovery',
    'doctor',
    'mqtt',
    'notify',
    'nut',
    'service',
    'control',
    // `outages` reads the history file itself.
    'history',
  ],
  packaging: ['platform', 'cli', 'service'],
  tools: ['electron', 'packaging'],
  bench: '*',
  testing: '*',
};

/**
 * `import-x/no-restricted-paths` zones for main/ (paths relative to the repository root).
 * @returns {{ target: string, from: string[], message: string }[]}
 */
export function mainLayerZones() {
  const folders = Object.keys(MAIN_LAYERS);
  return Object.entries(MAIN_LAYERS).flatMap(([folder, allowed]) => {
    if (allowed === '*') return [];
    const from = folders
      .filter((other) => other !== folder && !allowed.includes(other))
      .map((other) => `main/${other}/**`);
    const may =
      allowed.length > 0
        ? allowed.map((name) => `main/${name}`).join(', ')
        : 'nothing else in main/';
    return [
      {
        target: `main/${folder}/**`,
        from,
        message: `main/${folder} may import only ${may} (and shared/): see main/eslint.layers.js.`,
      },
    ];
  });
}
