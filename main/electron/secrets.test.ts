import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { dispatchInvoke } from '../core/dispatch';
import { electronMock, resetElectronMock } from '../testing/electron-mock';
import { createSafeStorageSecretStore, SecretStoreError } from './secrets';
import { fakeHandlers, recordingLogger } from './testing/fixtures';

let dir: string;
let file: string;

beforeEach(async () => {
  resetElectronMock();
  // The store is created in the shell's ready phase; on Linux safeStorage has no key before it.
  electronMock.setReady();
  dir = await mkdtemp(path.join(os.tmpdir(), 'nut-secrets-'));
  file = path.join(dir, 'userData', 'secrets.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SafeStorage SecretStore', () => {
  it('round-trips through safeStorage; the file holds base64 ciphertext only, mode 0600', async () => {
    const logger = recordingLogger();
    const store = createSafeStorageSecretStore({ file, platform: 'linux', logger });
    await store.set('nut-password:nas:ups', 'hunter2-secret');
    await expect(store.get('nut-password:nas:ups')).resolves.toBe('hunter2-secret');
    await expect(store.get('nut-password:nas:other')).resolves.toBeUndefined();

    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('hunter2');
    const parsed = JSON.parse(text) as { version: number; entries: Record<string, string> };
    expect(parsed.version).toBe(1);
    expect(
      Buffer.from(parsed.entries['nut-password:nas:ups']!, 'base64').toString('utf8'),
    ).not.toContain('hunter2');
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(electronMock.safeStorage.encryptStringAsync).toHaveBeenCalledWith('hunter2-secret');
    expect(logger.text()).not.toContain('hunter2');
    // Only the asynchronous API (the synchronous one is deprecated in 45 and blocks on a keyring prompt).
    for (const sync of ['encryptString', 'decryptString', 'isEncryptionAvailable'] as const)
      expect(electronMock.safeStorage[sync]).not.toHaveBeenCalled();
  });

  it('re-encrypts a value when safeStorage says the key was rotated', async () => {
    const logger = recordingLogger();
    const store = createSafeStorageSecretStore({ file, platform: 'win32', logger });
    electronMock.setPlatform('win32');
    await store.set('k', 'v1');
    const before = await readFile(file, 'utf8');
    electronMock.setShouldReEncrypt(true);
    await expect(store.get('k')).resolves.toBe('v1');
    expect(electronMock.safeStorage.encryptStringAsync).toHaveBeenCalledTimes(2);
    expect(logger.text()).toContain('secret re-encrypted');
    electronMock.setShouldReEncrypt(false);
    await expect(store.get('k')).resolves.toBe('v1');
    expect(electronMock.safeStorage.encryptStringAsync).toHaveBeenCalledTimes(2);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(JSON.parse(before));
  });

  it('Linux before ready: no key yet, so storing is refused (never a plaintext fallback)', async () => {
    resetElectronMock();
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    await expect(store.set('k', 'v')).rejects.toMatchObject({ code: 'SECRETS-NO-KEYRING' });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses to store when encryption is unavailable — and never writes plaintext', async () => {
    electronMock.setEncryptionAvailable(false);
    const store = createSafeStorageSecretStore({
      file,
      platform: 'linux',
      logger: recordingLogger(),
    });
    const error = await store.set('nut-password:nas:ups', 'hunter2').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect(error).toMatchObject({
      code: 'SECRETS-NO-KEYRING',
      fix: expect.stringMatching(/gnome-keyring.*KWallet.*--password-store/s),
    });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(electronMock.safeStorage.encryptStringAsync).not.toHaveBeenCalled();
    expect(electronMock.safeStorage.setUsePlainTextEncryption).not.toHaveBeenCalled();
  });

  it('treats Linux basic_text (a fixed, public key) as unavailable', async () => {
    electronMock.setEncryptionAvailable(true, 'basic_text');
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    await expect(store.set('k', 'v')).rejects.toMatchObject({
      code: 'SECRETS-NO-KEYRING',
      explanation: expect.stringContaining('basic_text'),
    });
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('explains the refusal on macOS and Windows too', async () => {
    electronMock.setEncryptionAvailable(false);
    electronMock.setPlatform('darwin');
    await expect(
      createSafeStorageSecretStore({ file, platform: 'darwin' }).set('k', 'v'),
    ).rejects.toMatchObject({
      code: 'SECRETS-UNAVAILABLE',
      fix: expect.stringContaining('Keychain'),
    });
    electronMock.setPlatform('win32');
    await expect(
      createSafeStorageSecretStore({ file, platform: 'win32' }).set('k', 'v'),
    ).rejects.toMatchObject({ code: 'SECRETS-UNAVAILABLE' });
  });

  it('the refusal reaches the UI as an explained ApiError through dispatchInvoke', async () => {
    electronMock.setEncryptionAvailable(false);
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    const handlers = fakeHandlers({
      'secrets:set-password': async (request) => {
        await store.set(`nut-password:${request.masterId}:${request.upsName}`, request.password);
        return { ok: true };
      },
    });
    const result = await dispatchInvoke(handlers, 'secrets:set-password', {
      masterId: 'nas',
      upsName: 'ups',
      password: 'pw',
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'SECRETS-NO-KEYRING', fix: expect.stringContaining('gnome-keyring') },
    });
  });

  it('reading a stored secret needs encryption too (no silent fallback)', async () => {
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    await store.set('k', 'v');
    electronMock.setEncryptionAvailable(false);
    await expect(store.get('k')).rejects.toMatchObject({ code: 'SECRETS-NO-KEYRING' });
  });

  it('delete removes the entry; concurrent sets all land', async () => {
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    for (let i = 0; i < 10; i++) await expect(store.get(`k${i}`)).resolves.toBe(`v${i}`);
    await store.delete('k3');
    await store.delete('absent');
    await expect(store.get('k3')).resolves.toBeUndefined();
    await expect(store.get('k4')).resolves.toBe('v4');
  });

  it('a damaged file or undecryptable blob is explained, not crashed on', async () => {
    const store = createSafeStorageSecretStore({ file, platform: 'linux' });
    await store.set('k', 'v');
    await writeFile(
      file,
      JSON.stringify({ version: 1, entries: { k: Buffer.from('garbage').toString('base64') } }),
    );
    await expect(store.get('k')).rejects.toMatchObject({ code: 'SECRETS-UNREADABLE' });
    await writeFile(file, '{not json');
    await expect(store.get('k')).rejects.toMatchObject({ code: 'SECRETS-CORRUPT' });
  });
});
