/**
 * Undo of the last import: the config file as it was before, byte for byte (or its absence), and
 * the password store as it was for the keys the import wrote. The previous file content is kept
 * in memory (it holds no secret: passwords never enter the config); a previous password value is
 * kept in memory only, never written anywhere, and a password the import added is deleted again.
 *
 * Undo refuses when the file changed after the import (a later save would be lost otherwise).
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ApiRequestError } from '../platform/api-request-error';
import type { SecretStore } from '../platform/ports';

/** A config file's bytes and permission bits. */
export interface FileSnapshot {
  bytes: Uint8Array;
  mode: number;
}

export interface ImportUndoRecord {
  configPath: string;
  /** null: there was no config file before the import. */
  before: FileSnapshot | null;
  /** The file as the import wrote it: undo only replaces that. */
  after: Uint8Array;
  /** Each key the import stored, with the value it had before (undefined: none). */
  secrets: { key: string; previous: string | undefined }[];
  /** The plan's summary, for the undo message. */
  summary: string;
  at: number;
}

/** The file's bytes and mode, or null when it does not exist. */
export async function snapshotFile(file: string): Promise<FileSnapshot | null> {
  try {
    const [bytes, info] = await Promise.all([readFile(file), stat(file)]);
    return { bytes: new Uint8Array(bytes), mode: info.mode & 0o777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The store's values for `keys` before they are overwritten. */
export async function secretsBefore(
  store: SecretStore,
  keys: readonly string[],
): Promise<ImportUndoRecord['secrets']> {
  const entries: ImportUndoRecord['secrets'] = [];
  for (const key of new Set(keys)) entries.push({ key, previous: await store.get(key) });
  return entries;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

/** Writes `snapshot` to `file` atomically (temporary file, fsync, rename), or removes `file` for null. */
async function restoreFile(file: string, snapshot: FileSnapshot | null): Promise<void> {
  if (!snapshot) {
    await unlink(file);
    return;
  }
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.undo`,
  );
  const handle = await open(
    tmp,
    fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL,
    snapshot.mode,
  );
  try {
    await handle.writeFile(snapshot.bytes);
    await handle.chmod(snapshot.mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** Restores the config file, then the passwords; throws an ApiRequestError saying why it cannot. */
export async function undoImport(
  record: ImportUndoRecord,
  secrets: SecretStore | null | undefined,
): Promise<void> {
  const now = await snapshotFile(record.configPath);
  if (!now || !sameBytes(now.bytes, record.after)) {
    throw new ApiRequestError({
      code: 'UNDO-CONFLICT',
      message: `${record.configPath} changed after the import (${now ? 'it was saved again' : 'it was removed'}); undoing the import now would throw those changes away.`,
      fix: 'Undo the later changes by hand in Settings, or edit the file; the import itself can no longer be undone in one step.',
    });
  }
  await restoreFile(record.configPath, record.before);
  if (record.secrets.length > 0 && !secrets)
    throw new ApiRequestError({
      code: 'NO-SECRET-STORE',
      message: 'The config was restored, but the imported passwords cannot be removed here.',
      fix: 'Remove them with the app that stored them.',
    });
  for (const { key, previous } of record.secrets) {
    if (previous === undefined) await secrets!.delete(key);
    else await secrets!.set(key, previous);
  }
}
