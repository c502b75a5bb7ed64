/**
 * The exit codes of every `nut-sentinel` command (documented in the README, "Command line").
 * Scripts and service managers rely on them, so a command never invents its own.
 */
export const EXIT = {
  /** Done, nothing wrong. */
  ok: 0,
  /** A problem was found or the operation failed (bad config, unreachable master, refused LOGIN, …). */
  failed: 1,
  /** The command line is wrong (unknown command or option, missing or malformed argument). */
  usage: 2,
  /**
   * Completed, but the answer is "no": fsd-test with late or missing secondaries; `service status`
   * when the service is not installed or not running (as LSB's "program is not running").
   */
  negative: 3,
  /**
   * Completed, but the answer cannot be told because a measurement is missing: `what-if` when the
   * margin is unknown (no FSD test yet, no battery.runtime, the master's shutdown time not given).
   */
  unknown: 4,
  /** Interrupted with Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
