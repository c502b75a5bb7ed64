/**
 * `--tls`, `--ca FILE` and `--fingerprint SHA256` of `status`/`clients`, as NutClient TLS options.
 *
 * `required` authenticates the server: against the system CAs, the given CA, or the pinned
 * fingerprint — never "any certificate". `opportunistic` (the default) encrypts when the server
 * offers STARTTLS without checking who it is (these commands send no credentials); with a CA or
 * a pin it becomes `required`, like a configured master.
 */
import { readFile } from 'node:fs/promises';
import type { NutTlsOptions } from '../nut/client';
import { NutError } from '../nut/errors';
import { UsageError } from './context';

export async function cliTlsOptions(values: {
  tls?: string | undefined;
  ca?: string | undefined;
  fingerprint?: string | undefined;
}): Promise<NutTlsOptions> {
  const mode = values.tls ?? 'opportunistic';
  if (mode !== 'off' && mode !== 'opportunistic' && mode !== 'required')
    throw new UsageError(`--tls takes off, opportunistic or required (got "${mode}").`);
  if (mode === 'off' && (values.ca !== undefined || values.fingerprint !== undefined))
    throw new UsageError('--ca and --fingerprint need TLS: drop --tls off.');
  let caPem: string | undefined;
  if (values.ca !== undefined) {
    caPem = await readFile(values.ca, 'utf8').catch((error: unknown) => {
      throw new UsageError(
        `--ca ${values.ca}: cannot read it (${error instanceof Error ? error.message : String(error)}).`,
      );
    });
    if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
      throw new UsageError(
        `--ca ${values.ca} is not a PEM certificate (no "-----BEGIN CERTIFICATE-----" line).`,
      );
  }
  const fingerprint256 = values.fingerprint?.trim();
  if (
    fingerprint256 !== undefined &&
    !/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/.test(fingerprint256)
  ) {
    throw new UsageError(
      `--fingerprint takes a SHA-256 certificate fingerprint (64 hex digits, colons optional), got "${values.fingerprint}".`,
    );
  }
  const authenticated = caPem !== undefined || fingerprint256 !== undefined;
  return {
    mode: mode === 'opportunistic' && authenticated ? 'required' : mode,
    ...(caPem !== undefined ? { caPem } : {}),
    ...(fingerprint256 !== undefined ? { fingerprint256 } : {}),
    // Only plain opportunistic encryption skips verification; `required` always checks.
    insecure: mode === 'opportunistic' && !authenticated,
  };
}

/** A certificate problem, with the command-line way out added to the fix. */
export function withTlsOptionHint(error: unknown): unknown {
  if (!(error instanceof NutError) || error.kind !== 'tls' || error.code === 'STARTTLS-REFUSED')
    return error;
  return new NutError({
    kind: error.kind,
    code: error.code,
    explanation: error.explanation,
    fix: `${error.fix} On the command line: --ca FILE (the server's CA or certificate, PEM) or --fingerprint SHA256.`,
    ...(error.command !== undefined ? { command: error.command } : {}),
    cause: error,
  });
}
