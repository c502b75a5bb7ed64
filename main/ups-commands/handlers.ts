/**
 * The `ups:*` command, setting and self-test channels (shared/ipc.ts) over
 * UpsCommands and SelfTests. app-core spreads `handlers` into its ApiHandlers, calls `start()`
 * with the monitor and `stop()` on shutdown (which switches a timed-muted beeper back on).
 */
import type { ApiHandlers } from '../../shared/ipc';
import { SelfTests, type SelfTestDeps } from './self-test';
import { UpsCommands, type UpsCommandsDeps } from './ups-commands';

export type UpsCommandChannel =
  | 'ups:list-controls'
  | 'ups:run-command'
  | 'ups:set-variable'
  | 'ups:forget-command-credential'
  | 'ups:get-self-tests'
  | 'ups:run-self-test';

export interface UpsCommandsService {
  handlers: Pick<ApiHandlers, UpsCommandChannel>;
  commands: UpsCommands;
  selfTests: SelfTests;
  start(): void;
  stop(): Promise<void>;
}

export function createUpsCommands(
  deps: UpsCommandsDeps &
    Omit<SelfTestDeps, 'commands' | 'tuning'> & {
      selfTestTuning?: SelfTestDeps['tuning'];
    },
): UpsCommandsService {
  const commands = new UpsCommands(deps);
  const selfTests = new SelfTests({
    config: () => deps.config(),
    connect: (options) => deps.connect(options),
    snapshot: (id) => deps.snapshot(id),
    history: deps.history,
    clock: deps.clock,
    logger: deps.logger,
    commands,
    ...(deps.selfTestTuning ? { tuning: deps.selfTestTuning } : {}),
  });
  return {
    commands,
    selfTests,
    handlers: {
      'ups:list-controls': ({ monitorId }) => commands.listControls(monitorId),
      'ups:run-command': (request) => commands.runCommand(request),
      'ups:set-variable': (request) => commands.setVariable(request),
      'ups:forget-command-credential': async ({ monitorId }) => ({
        ok: true as const,
        removed: await commands.forgetCredential(monitorId),
      }),
      'ups:get-self-tests': ({ monitorId }) => {
        commands.requireTarget(monitorId);
        return Promise.resolve(selfTests.status(monitorId));
      },
      'ups:run-self-test': ({ monitorId, credential }) =>
        selfTests.run(monitorId, 'manual', credential),
    },
    start: () => selfTests.start(),
    async stop() {
      await selfTests.stop();
      await commands.stop();
    },
  };
}
