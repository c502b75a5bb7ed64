/**
 * vitest lifecycle for scenario tests (kept apart from scenario-harness.ts so benchmarks can use
 * the harness without vitest).
 */
import { afterAll, afterEach, onTestFailed } from 'vitest';
import {
  type Rig,
  type UpsdRigOptions,
  startUpsdRig,
  stopWarmDrivers,
} from '../../testing/upsd-rig';
import { Scenario, type ScenarioOptions } from './scenario-harness';

/**
 * Per-file lifecycle: rigs and scenarios made through it are stopped after each test (rigs last),
 * the warm driver pool after the file; a failing test prints the monitor, hook and rig logs.
 */
export function useScenarios(): {
  rig: (options?: UpsdRigOptions) => Promise<Rig>;
  start: (options: ScenarioOptions) => Scenario;
} {
  const rigs: Rig[] = [];
  const scenarios: Scenario[] = [];
  afterEach(async () => {
    for (const scenario of scenarios.splice(0).reverse()) await scenario.stop();
    for (const rig of rigs.splice(0)) await rig.stop();
  });
  afterAll(async () => {
    await stopWarmDrivers();
  });
  return {
    rig: async (options = {}) => {
      const rig = await startUpsdRig({ maxAge: 3, ...options });
      rigs.push(rig);
      return rig;
    },
    start: (options) => {
      const scenario = Scenario.start(options);
      scenarios.push(scenario);
      onTestFailed(() => {
        console.log(
          `=== scenario ${options.label ?? ''} on ${options.rig.host}:${options.rig.port} ===\n${scenario.dump()}`,
        );
      });
      return scenario;
    },
  };
}
