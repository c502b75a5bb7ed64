/**
 * What status/clients/list share: a UPS@HOST[:PORT] (or HOST[:PORT]) argument, the connection
 * options and one short-lived NUT connection without LOGIN.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { NutClient } from '../nut/client';
import { UsageError } from './context';

export interface ConnectOptions {
  tls: 'off' | 'opportunistic' | 'required';
  ca?: string;
  fingerprint?: string;
  timeout: number;
}

/** Adds --tls, --ca, --fingerprint and --timeout to a command that talks to a NUT server. */
export function withConnectOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--tls <mode>',
        'STARTTLS: off, opportunistic (try it, unverified) or required (verified)',
      )
        .choices(['off', 'opportunistic', 'required'])
        .default('opportunistic'),
    )
    .option(
      '--ca <file>',
      'verify the server against this CA or server certificate (PEM); implies --tls required',
    )
    .option(
      '--fingerprint <sha256>',
      'verify the server by its pinned certificate fingerprint; implies --tls required',
    )
    .option(
      '--timeout <seconds>',
      'give up connecting or waiting for an answer after this long',
      seconds,
      5,
    );
}

/** A commander argument parser for a positive number of seconds. */
export function seconds(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('takes a positive number of seconds.');
  return value;
}

export async function parseUpsTarget(
  text: string,
): Promise<{ ups: string; host: string; port: number }> {
  const { splitUpsSystem } = await import('../config/upsmon-conf');
  const parsed = splitUpsSystem(text);
  if (!parsed.ok)
    throw new UsageError(
      `"${text}" is not UPS@HOST[:PORT] (e.g. ups@192.168.8.99 for a Synology NAS): ${parsed.reason}.`,
    );
  return parsed;
}

/** HOST[:PORT] (IPv6 as [addr]:port), parsed like the host part of UPS@HOST[:PORT]. */
export async function parseServer(text: string): Promise<{ host: string; port: number }> {
  if (text.includes('@'))
    throw new UsageError(`"${text}" names a UPS: give only the server, HOST[:PORT].`);
  const { splitUpsSystem } = await import('../config/upsmon-conf');
  const parsed = splitUpsSystem(`x@${text}`);
  if (!parsed.ok) throw new UsageError(`"${text}" is not HOST[:PORT]: ${parsed.reason}.`);
  return { host: parsed.host, port: parsed.port };
}

/**
 * One connection for a read-only command (no LOGIN, no keep-alive). `required` verifies the
 * certificate (system CAs, --ca or --fingerprint: main/cli/tls-options.ts).
 */
export async function connectTo(
  target: { host: string; port: number },
  options: ConnectOptions,
): Promise<NutClient> {
  const timeoutMs = options.timeout * 1000;
  const [{ NutClient }, { cliTlsOptions, withTlsOptionHint }] = await Promise.all([
    import('../nut/client'),
    import('./tls-options'),
  ]);
  const tls = await cliTlsOptions(options);
  return NutClient.connect({
    host: target.host,
    port: target.port,
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    keepAliveIntervalMs: 0,
    tls,
  }).catch((error: unknown) => {
    throw withTlsOptionHint(error);
  });
}
