/**
 * Resolves a UPS entry's password from where the config says it lives. Passwords never sit in
 * the config file: the app keeps them in the OS keychain (safeStorage), the headless agent reads
 * them from an environment variable or a private file.
 */
import { readFile, stat } from 'node:fs/promises';
import type { SecretSource } from '../../shared/channels';
import { type Master, type MonitoredUps, passwordKey } from '../../shared/config';
import type { SecretStore } from './ports';

export class PasswordSourceError extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'PasswordSourceError';
  }
}

export async function resolvePassword(
  master: Pick<Master, 'id'>,
  ups: Pick<MonitoredUps, 'name' | 'password'>,
  secrets: SecretStore | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  return resolveSecret(
    ups.password,
    {
      storeKey: passwordKey(master.id, ups.name),
      what: `password of ${ups.name}@${master.id}`,
      configKey: 'password',
    },
    secrets,
    env,
  );
}

/**
 * Reads a secret (UPS password, channel token, …) from where its source says. `what` names it in
 * errors ("token of channel phone"); `configKey` is the config field to change in the hint.
 */
export async function resolveSecret(
  source: SecretSource,
  target: { storeKey: string; what: string; configKey: string },
  secrets: SecretStore | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  switch (source.source) {
    case 'none':
      return undefined;
    case 'env': {
      const value = env[source.name];
      if (value === undefined) {
        throw new PasswordSourceError(
          `The environment variable ${source.name} (${target.what}) is not set.`,
          `Set ${source.name} in the agent's environment (e.g. an EnvironmentFile= in its systemd unit).`,
        );
      }
      return value;
    }
    case 'file': {
      const info = await stat(source.path).catch(() => null);
      if (!info)
        throw new PasswordSourceError(
          `The secret file ${source.path} (${target.what}) does not exist.`,
          `Create it with only the secret in it and \`chmod 600 ${source.path}\`.`,
        );
      if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
        throw new PasswordSourceError(
          `The secret file ${source.path} can be read by other users (mode ${(info.mode & 0o777).toString(8)}).`,
          `Run \`chmod 600 ${source.path}\`.`,
        );
      }
      // Owned by someone else, it is theirs to read and to swap for a password of their choosing.
      if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
        throw new PasswordSourceError(
          `The secret file ${source.path} belongs to uid ${info.uid}, not to the user this program runs as (uid ${process.getuid()}).`,
          `Run \`chown ${process.getuid()} ${source.path}\` (and keep it \`chmod 600\`).`,
        );
      }
      return (await readFile(source.path, 'utf8')).replace(/\r?\n$/, '');
    }
    case 'store': {
      if (!secrets) {
        throw new PasswordSourceError(
          `No secret store is available here for the ${target.what}.`,
          `In the headless agent use "${target.configKey}": { "source": "env", "name": "…" } or { "source": "file", "path": "…" }.`,
        );
      }
      return secrets.get(target.storeKey);
    }
  }
}
