/**
 * Random hex for ids that must not repeat (alert ids, a history owner's token) but need not be
 * unguessable: Math.random, which V8 seeds per process from the OS. node:crypto would do the same
 * at the cost of initialising OpenSSL on first use, ~1.3 MB of RSS that an agent without TLS or
 * signed webhooks never needs otherwise (main/packaging/agent-build.ts, LAZY_BUILTINS).
 */
export function randomHex(bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i++)
    hex += Math.floor(Math.random() * 256)
      .toString(16)
      .padStart(2, '0');
  return hex;
}
