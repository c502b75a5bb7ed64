/**
 * SecretStore on Electron's safeStorage (Keychain on macOS, DPAPI on Windows, libsecret or
 * KWallet on Linux), through its asynchronous API only: the synchronous calls are deprecated in
 * Electron 45 (gone in 46) and on Linux block the main process while a keyring prompt is open.
 * A value whose key was rotated (`shouldReEncrypt`) is re-encrypted and saved when read. Ciphertexts are kept base64-encoded in `secrets.json` (mode 0600) in
 * userData. When the OS cannot encrypt — or would only obfuscate (Linux `basic_text`, no
 * keyring) — storing is REFUSED with an explained error: never a silent plaintext fallback.
 * Secrets and ciphertexts are never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { safeStorage } from 'electron';
import type { Logger, SecretStore } from '../platform/ports';

/** Carries `explanation` and `fix`, which dispatchInvoke turns into an ApiError for the UI. */
export class SecretStoreError extends Error {
  constructor(
    readonly code: string,
    readonly explanation: string,
    readonly fix: string,
  ) {
    super(explanation);
    this.name = 'SecretStoreError';
  }
}

interface SecretsFile {
  version: 1;
  /** key → base64 of safeStorage.encryptString(value). */
  entries: Record<string, string>;
}

export interface SafeStorageSecretStoreOptions {
  /** Full path of secrets.json (normally `<userData>/secrets.json`). */
  file: string;
  platform?: NodeJS.Platform;
  logger?: Logger;
}

/** Why safeStorage cannot protect secrets here, or null when it can. Call after app ready. */
export async function encryptionProblem(
  platform: NodeJS.Platform,
): Promise<SecretStoreError | null> {
  const available = await safeStorage.isAsyncEncryptionAvailable();
  // Linux only (the method exists nowhere else): 'basic_text' is a fixed, public key.
  const backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend() : null;
  if (available && backend !== 'basic_text') return null;
  if (platform === 'linux') {
    return new SecretStoreError(
      'SECRETS-NO-KEYRING',
      backend === 'basic_text'
        ? 'No keyring is available, so passwords could only be stored with a fixed, publicly known key (Chromium’s "basic_text" store). NUT Sentinel refuses to store them that way.'
        : 'The system keyring is not available, so the password cannot be stored encrypted. NUT Sentinel does not store passwords in plain text.',
      'Install and unlock a Secret Service keyring — GNOME Keyring (`gnome-keyring`, with `libsecret-1-0`) or KWallet — and log in again; or start NUT Sentinel with `--password-store=gnome-libsecret` (or `kwallet5` / `kwallet6`) if your desktop is not detected. Alternatively set this UPS’s password source to an environment variable or a 0600 file in the configuration.',
    );
  }
  return new SecretStoreError(
    'SECRETS-UNAVAILABLE',
    'The operating system’s secure storage is not available, so the password cannot be stored encrypted. NUT Sentinel does not store passwords in plain text.',
    platform === 'darwin'
      ? 'Make sure the login Keychain is unlocked, then try again; or set this UPS’s password source to an environment variable or a 0600 file.'
      : 'Try again after logging in to your user session; or set this UPS’s password source to an environment variable or a 0600 file.',
  );
}

export function createSafeStorageSecretStore(options: SafeStorageSecretStoreOptions): SecretStore {
  const platform = options.platform ?? process.platform;
  const file = options.file;
  let queue: Promise<unknown> = Promise.resolve();

  /** Serialise read-modify-write cycles within this process. */
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const load = async (): Promise<SecretsFile> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as Partial<SecretsFile>;
      if (parsed.version !== 1 || !parsed.entries || typeof parsed.entries !== 'object')
        throw new Error('unexpected shape');
      const entries: Record<string, string> = {};
      for (const [key, value] of Object.entries(parsed.entries))
        if (typeof value === 'string') entries[key] = value;
      return { version: 1, entries };
    } catch {
      throw new SecretStoreError(
        'SECRETS-CORRUPT',
        `The stored passwords file ${file} is damaged.`,
        'Move it away and enter the UPS passwords again in Settings.',
      );
    }
  };

  const save = async (data: SecretsFile): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  };

  return {
    get: (key) =>
      exclusive(async () => {
        const data = await load();
        const blob = data.entries[key];
        if (blob === undefined) return undefined;
        const problem = await encryptionProblem(platform);
        if (problem) throw problem;
        let decrypted: { result: string; shouldReEncrypt: boolean };
        try {
          decrypted = await safeStorage.decryptStringAsync(Buffer.from(blob, 'base64'));
        } catch {
          options.logger?.log('warn', 'a stored secret could not be decrypted', { key });
          throw new SecretStoreError(
            'SECRETS-UNREADABLE',
            'A stored password could not be decrypted (the keyring or the user account changed since it was saved).',
            'Enter the password again in Settings.',
          );
        }
        if (decrypted.shouldReEncrypt) {
          // The key was rotated or a better one is available: store it under the new key.
          data.entries[key] = (await safeStorage.encryptStringAsync(decrypted.result)).toString(
            'base64',
          );
          await save(data);
          options.logger?.log('info', 'secret re-encrypted', { key });
        }
        return decrypted.result;
      }),
    set: (key, value) =>
      exclusive(async () => {
        const problem = await encryptionProblem(platform);
        if (problem) {
          options.logger?.log('warn', 'refused to store a secret: no secure storage', {
            key,
            code: problem.code,
          });
          throw problem;
        }
        const data = await load();
        data.entries[key] = (await safeStorage.encryptStringAsync(value)).toString('base64');
        await save(data);
        options.logger?.log('info', 'secret stored', { key });
      }),
    delete: (key) =>
      exclusive(async () => {
        const data = await load();
        if (!(key in data.entries)) return;
        delete data.entries[key];
        await save(data);
        options.logger?.log('info', 'secret deleted', { key });
      }),
  };
}
