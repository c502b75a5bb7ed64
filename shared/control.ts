/**
 * The background service's local control channel (main/control): the desktop app and `web`
 * attach to a running service over a Unix domain socket (a named pipe on Windows) and use the
 * same API contract as the Electron preload and the browser bridge (shared/ipc.ts): the bridge's
 * wire messages, one JSON document per line. This file adds only what the channel itself needs:
 * the service's greeting, the hand-over message, and what the UI shows about the service.
 */
import * as z from 'zod';

/** The group whose members may open the control socket (created by the package / `service install`). */
export const CONTROL_GROUP = 'nut-sentinel';

/** First line the service writes on every accepted connection. */
export const ControlHelloSchema = z.object({
  hello: z.literal('nut-sentinel'),
  version: z.string(),
  pid: z.number().int(),
  /**
   * `starting`: the service waits (briefly) for a desktop app that runs its own core to stop its
   * sessions before it logs in itself; `running`: the service monitors.
   */
  state: z.enum(['starting', 'running']),
});
export type ControlHello = z.infer<typeof ControlHelloSchema>;

/** Service → client when it stops waiting and starts monitoring. */
export const ControlStateMessageSchema = z.object({ state: z.enum(['starting', 'running']) });

/** Sent on the control socket by a client that was monitoring on its own and has now logged out. */
export const CONTROL_RELEASED_CHANNEL = 'control:released';

/** Service → client before it closes a connection it refuses (peer credential check). */
export const ControlRefusalSchema = z.object({ refused: z.string() });

/** What `service:status` answers: how this UI's core relates to the background service. */
export const ServiceStatusSchema = z.object({
  /**
   * attached: this app uses the background service's core (one LOGIN per machine);
   * own-core: no service is reachable, the app monitors itself;
   * service: this is the service's own core (asked over its control channel).
   */
  mode: z.enum(['attached', 'own-core', 'service']),
  /** The control socket / pipe. */
  endpoint: z.string(),
  /** Why a service that exists could not be used (e.g. no access to the socket), with the fix. */
  problem: z.string().nullable(),
  /** Whether Settings can offer to install the service here, and the command it would run. */
  install: z.object({
    available: z.boolean(),
    /** The command as the user would type it (for display; it is run without a shell). */
    command: z.string(),
    /** Why installing is not offered (no elevation tool, running as the service, …). */
    reason: z.string().nullable(),
  }),
});
export type ServiceStatus = z.infer<typeof ServiceStatusSchema>;

export const ServiceInstallResultSchema = z.object({
  ok: z.boolean(),
  /** What happened, in words (the installer's output, or why it failed). */
  detail: z.string(),
});
export type ServiceInstallResult = z.infer<typeof ServiceInstallResultSchema>;

/** What a core that is not attached to any service says (before a front end adds what it knows). */
export function standaloneServiceStatus(endpoint = ''): ServiceStatus {
  return {
    mode: 'own-core',
    endpoint,
    problem: null,
    install: {
      available: false,
      command: 'sudo nut-sentinel service install',
      reason: 'This process does not offer to install the service; run the command in a terminal.',
    },
  };
}
