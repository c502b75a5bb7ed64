import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSecretStore } from './file-secret-store';

describe('FileSecretStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'secrets-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('round-trips across instances and never writes the password in clear', async () => {
    const password = 's3c4R3_Kly3Nt_p4sSw0rD!';
    await new FileSecretStore(dir).set('nut-password:pve/apc', password);
    const again = new FileSecretStore(dir);
    expect(await again.get('nut-password:pve/apc')).toBe(password);
    expect(await again.get('nut-password:other/ups')).toBeUndefined();
    const onDisk = await readFile(path.join(dir, 'secrets.json'), 'utf8');
    expect(onDisk).not.toContain(password);
    expect(onDisk).not.toContain(Buffer.from(password).toString('base64'));
    for (const file of ['secrets.json', 'secrets.key']) expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
  });

  it('keeps concurrent writes and deletes', async () => {
    const store = new FileSecretStore(dir);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    await store.delete('k3');
    const fresh = new FileSecretStore(dir);
    for (let i = 0; i < 10; i++) expect(await fresh.get(`k${i}`)).toBe(i === 3 ? undefined : `v${i}`);
  });

  it('refuses to decrypt with a different key instead of returning garbage', async () => {
    await new FileSecretStore(dir).set('k', 'value');
    const other = await mkdtemp(path.join(tmpdir(), 'secrets-other-'));
    try {
      await new FileSecretStore(other).set('x', 'y');
      const { copyFile } = await import('node:fs/promises');
      await copyFile(path.join(other, 'secrets.key'), path.join(dir, 'secrets.key'));
      await expect(new FileSecretStore(dir).get('k')).rejects.toThrow();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
