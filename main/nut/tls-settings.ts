/**
 * A master's TLS settings from the config, as the NUT client takes them: the one mapping used by
 * the monitor, the doctor, the FSD test and the UPS commands.
 */
import type { TlsConfig } from '../../shared/config';
import type { NutTlsOptions } from './client.js';

export function nutTlsOptions(tls: {
  mode?: TlsConfig['mode'] | undefined;
  caPem?: string | undefined;
  fingerprint256?: string | undefined;
  insecure?: boolean | undefined;
}): NutTlsOptions {
  return {
    mode: tls.mode ?? 'off',
    ...(tls.caPem ? { caPem: tls.caPem } : {}),
    ...(tls.fingerprint256 ? { fingerprint256: tls.fingerprint256 } : {}),
    insecure: tls.insecure ?? false,
  };
}
