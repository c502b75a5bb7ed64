import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
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
    for (const file of ['secrets.json', 'secrets.key'])
      expect((await stat(path.join(dir, file))).mode & 0o777).toBe(0o600);
  });

  it('keeps concurrent writes and deletes', async () => {
    const store = new FileSecretStore(dir);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, `v${i}`)));
    await store.delete('k3');
    const fresh = new FileSecretStore(dir);
    for (let i = 0; i < 10; i++)
      expect(await fresh.get(`k${i}`)).toBe(i === 3 ? undefined : `v${i}`);
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

  it('binds each value to its key: swapped entries fail to open instead of handing over the other password', async () => {
    const store = new FileSecretStore(dir);
    await store.set('nut-password:nas/ups', 'nas-password');
    await store.set('nut-password:evil/ups', 'evil-password');
    const file = path.join(dir, 'secrets.json');
    const all = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(
      file,
      JSON.stringify({
        'nut-password:nas/ups': all['nut-password:evil/ups'],
        'nut-password:evil/ups': all['nut-password:nas/ups'],
      }),
      { mode: 0o600 },
    );
    const swapped = new FileSecretStore(dir);
    await expect(swapped.get('nut-password:evil/ups')).rejects.toThrow(
      /does not belong to this entry.*re-enter it/,
    );
  });

  it('reads an entry written before the binding and re-seals it bound to its key', async () => {
    const key = randomBytes(32);
    await writeFile(path.join(dir, 'secrets.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update('legacy-password', 'utf8'), cipher.final()]);
    const legacy = {
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    await writeFile(
      path.join(dir, 'secrets.json'),
      JSON.stringify({ 'nut-password:nas/ups': legacy }),
      { mode: 0o600 },
    );
    expect(await new FileSecretStore(dir).get('nut-password:nas/ups')).toBe('legacy-password');
    const migrated = JSON.parse(await readFile(path.join(dir, 'secrets.json'), 'utf8')) as Record<
      string,
      { v?: number }
    >;
    expect(migrated['nut-password:nas/ups']?.v).toBe(2);
    expect(await new FileSecretStore(dir).get('nut-password:nas/ups')).toBe('legacy-password');
  });

  it('writes through an unpredictable temp name, never through a link planted at the old predictable one', async () => {
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'untouched');
    await symlink(victim, path.join(dir, `secrets.json.${process.pid}.tmp`));
    const store = new FileSecretStore(dir);
    await store.set('a', '1');
    await store.set('b', '2');
    expect(await readFile(victim, 'utf8')).toBe('untouched');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([
      `secrets.json.${process.pid}.tmp`,
    ]);
    expect(await new FileSecretStore(dir).get('b')).toBe('2');
  });
});
