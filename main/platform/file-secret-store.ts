/**
 * The headless secret store (agent and browser bridge, where no OS keychain is available).
 * Passwords are kept out of the config file and out of logs, in `secrets.json` encrypted with
 * AES-256-GCM under a random key in `secrets.key`; both files are created mode 0600. This guards
 * against accidental disclosure (a config or secrets file shared for support, a backup of one of
 * them), not against someone who can already act as the agent's user — the same trust model as
 * upsmon.conf. The desktop app uses safeStorage (the OS keychain) instead.
 *
 * Each value is bound to its key (the key is the GCM additional data), so entries moved or
 * swapped inside secrets.json fail to open instead of handing one master's password to another.
 * Entries written before that (no `v`) are still read, and re-sealed bound on first read.
 * Writes go through a temp file with an unpredictable name, created exclusively (never through a
 * file or link someone placed there).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SecretStore } from './ports';

/** `v: 2`: bound to its key; absent: an entry from before that. */
type Sealed = { v?: 2; iv: string; tag: string; data: string };

function additionalData(key: string): Buffer {
  return Buffer.from(`nut-sentinel secret v2\0${key}`, 'utf8');
}

export class FileSecretStore implements SecretStore {
  private readonly secretsPath: string;
  private readonly keyPath: string;
  private cache: Record<string, Sealed> | null = null;
  private key: Buffer | null = null;
  /** Writes run one after another so concurrent sets never lose each other. */
  private queue: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.secretsPath = path.join(dir, 'secrets.json');
    this.keyPath = path.join(dir, 'secrets.key');
  }

  async get(key: string): Promise<string | undefined> {
    const sealed = (await this.load())[key];
    if (!sealed) return undefined;
    const value = this.open(key, sealed, await this.loadKey(false));
    if (sealed.v !== 2) {
      // Migrate a legacy entry: the same value, now bound to its key.
      await this.enqueue(async () => {
        const all = await this.load();
        if (all[key] !== sealed) return;
        all[key] = this.seal(key, value, await this.loadKey(false));
        await this.save(all);
      });
    }
    return value;
  }

  set(key: string, value: string): Promise<void> {
    return this.enqueue(async () => {
      const all = await this.load();
      all[key] = this.seal(key, value, await this.loadKey(true));
      await this.save(all);
    });
  }

  delete(key: string): Promise<void> {
    return this.enqueue(async () => {
      const all = await this.load();
      if (!(key in all)) return;
      delete all[key];
      await this.save(all);
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<Record<string, Sealed>> {
    if (this.cache) return this.cache;
    try {
      this.cache = JSON.parse(await readFile(this.secretsPath, 'utf8')) as Record<string, Sealed>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(
          `The secret store ${this.secretsPath} is unreadable: ${(error as Error).message}`,
          { cause: error },
        );
      this.cache = {};
    }
    return this.cache;
  }

  private async loadKey(create: boolean): Promise<Buffer> {
    if (this.key) return this.key;
    try {
      this.key = Buffer.from((await readFile(this.keyPath, 'utf8')).trim(), 'base64');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create)
        throw new Error(
          `The secret store key ${this.keyPath} is missing or unreadable: re-enter the passwords in Settings.`,
          { cause: error },
        );
      await mkdir(path.dirname(this.keyPath), { recursive: true, mode: 0o700 });
      this.key = randomBytes(32);
      await writeFile(this.keyPath, `${this.key.toString('base64')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    }
    if (this.key.length !== 32)
      throw new Error(
        `The secret store key ${this.keyPath} is damaged: delete it and re-enter the passwords.`,
      );
    return this.key;
  }

  private seal(name: string, value: string, key: Buffer): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(additionalData(name));
    const data = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return {
      v: 2,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  private open(name: string, sealed: Sealed, key: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    if (sealed.v === 2) decipher.setAAD(additionalData(name));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    try {
      return Buffer.concat([
        decipher.update(Buffer.from(sealed.data, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new Error(
        `The stored secret "${name}" in ${this.secretsPath} does not open with this key or does not belong to this entry (the file was edited, or comes from another machine): re-enter it in Settings.`,
        { cause: error },
      );
    }
  }

  private async save(all: Record<string, Sealed>): Promise<void> {
    await mkdir(path.dirname(this.secretsPath), { recursive: true, mode: 0o700 });
    const temp = `${this.secretsPath}.${randomBytes(12).toString('hex')}.tmp`;
    // wx: created here and now (O_EXCL never follows a planted link); 0600 before any byte is written.
    await writeFile(temp, JSON.stringify(all, null, 2), { mode: 0o600, flag: 'wx' });
    try {
      await chmod(temp, 0o600);
      await rename(temp, this.secretsPath);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    this.cache = all;
  }
}
