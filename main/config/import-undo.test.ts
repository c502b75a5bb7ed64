import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../shared/config';
import { FileSecretStore } from '../platform/file-secret-store';
import { saveConfig } from './config-file';
import { type ImportUndoRecord, secretsBefore, snapshotFile, undoImport } from './import-undo';

describe('undoImport (real files and the real file secret store)', () => {
  let dir: string;
  let file: string;
  let store: FileSecretStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nut-sentinel-undo-'));
    file = path.join(dir, 'config.json');
    store = new FileSecretStore(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** What the core does around an import: snapshot, store the passwords, save, snapshot. */
  async function importOver(keys: Record<string, string>): Promise<ImportUndoRecord> {
    const before = await snapshotFile(file);
    const secrets = await secretsBefore(store, Object.keys(keys));
    for (const [key, value] of Object.entries(keys)) await store.set(key, value);
    await saveConfig(
      file,
      ConfigSchema.parse({
        masters: [{ id: 'nas', label: 'NAS', host: 'nas.local', ups: [{ name: 'ups' }] }],
      }),
    );
    const after = await snapshotFile(file);
    return { configPath: file, before, after: after!.bytes, secrets, summary: 'test', at: 0 };
  }

  it('restores the file byte for byte with its mode, and the passwords as they were', async () => {
    // Hand-written: comments, odd spacing and no final newline, which a re-save would lose.
    const original = '{\n  // my settings\n  "timing": { "deadTimeSeconds": 30 },   "masters": []}';
    await writeFile(file, original, { mode: 0o640 });
    await store.set('nut-password:old:ups', 'previous-value');
    const record = await importOver({
      'nut-password:old:ups': 'imported-over',
      'nut-password:nas:ups': 'new-one',
    });
    expect(await readFile(file, 'utf8')).not.toBe(original);

    await undoImport(record, store);
    expect(await readFile(file)).toEqual(Buffer.from(original));
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    expect(await store.get('nut-password:old:ups')).toBe('previous-value');
    expect(await store.get('nut-password:nas:ups')).toBeUndefined();
  });

  it('removes the file again when there was none before the import', async () => {
    const record = await importOver({});
    expect(record.before).toBeNull();
    await undoImport(record, store);
    expect(await snapshotFile(file)).toBeNull();
  });

  it('refuses, and changes nothing, when the file was saved again after the import', async () => {
    await writeFile(file, '{}\n');
    const record = await importOver({ 'nut-password:nas:ups': 'new-one' });
    await saveConfig(file, ConfigSchema.parse({ startAtLogin: true }));
    const later = await readFile(file);
    await expect(undoImport(record, store)).rejects.toThrow(
      /changed after the import \(it was saved again\); undoing the import now would throw those changes away/,
    );
    expect(await readFile(file)).toEqual(later);
    expect(await store.get('nut-password:nas:ups')).toBe('new-one');
  });
});
