/**
 * Reading and saving the config from the UI. Every save re-reads the current config, applies one
 * change, validates it with the same ConfigSchema the core uses (inline errors before sending),
 * then sends it with `config:save` (the core's `issues` after).
 */
import { useCallback, useEffect, useState } from 'react';
import type * as z from 'zod';
import { type Config, ConfigSchema } from '../../shared/config';
import type { ResponseOf } from '../../shared/ipc';
import { api, errorText } from './api';
import { markConfigSaved, useApp } from './store';

export interface Issue {
  path: string;
  message: string;
}

export type SaveResult =
  | { ok: true; config: Config }
  | { ok: false; issues: Issue[]; stage: 'form' | 'core' | 'transport' };

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: friendlyMessage(i.message),
  }));
}

/** zod's default texts, worded for a form. */
export function friendlyMessage(message: string): string {
  if (/expected number, received (NaN|undefined)/i.test(message)) return 'Enter a number.';
  // Bounds may be fractional (a 0.1 s poll): keep the whole number, never just its integer part.
  const min = /Too small: expected (?:number|string|array) to (?:be|have) >=?(\d+(?:\.\d+)?)/i.exec(
    message,
  );
  if (min)
    return /string/.test(message)
      ? min[1] === '1'
        ? 'This cannot be empty.'
        : `At least ${min[1]} characters.`
      : `At least ${min[1]}.`;
  const max = /Too big: expected (?:number|string|array) to (?:be|have) <=?(\d+(?:\.\d+)?)/i.exec(
    message,
  );
  if (max) return `At most ${max[1]}.`;
  if (/expected int/i.test(message)) return 'Enter a whole number.';
  return message;
}

/** Issues under `prefix.` with the prefix removed (core paths are whole-config paths). */
export function scopeIssues(issues: Issue[], prefix: string): Issue[] {
  if (prefix === '') return issues;
  return issues
    .filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`))
    .map((i) => ({ ...i, path: i.path.slice(prefix.length + 1) }));
}

export function issueAt(issues: Issue[], path: string): string | undefined {
  return issues.find((i) => i.path === path)?.message;
}

export async function saveConfig(mutate: (current: Config) => Config): Promise<SaveResult> {
  let next: Config;
  try {
    const { config } = await api.invoke('config:get', undefined);
    next = mutate(structuredClone(config));
  } catch (error) {
    return {
      ok: false,
      stage: 'transport',
      issues: [{ path: '', message: errorText(error).message }],
    };
  }
  const parsed = ConfigSchema.safeParse(next);
  if (!parsed.success) return { ok: false, stage: 'form', issues: issuesOf(parsed.error) };
  try {
    const result = await api.invoke('config:save', { config: parsed.data });
    if (!result.ok) return { ok: false, stage: 'core', issues: result.issues };
  } catch (error) {
    const e = errorText(error);
    return {
      ok: false,
      stage: 'transport',
      issues: [{ path: '', message: e.fix ? `${e.message} ${e.fix}` : e.message }],
    };
  }
  markConfigSaved();
  return { ok: true, config: parsed.data };
}

export type ConfigData = ResponseOf<'config:get'>;

/** The current config, reloaded whenever this UI saved it. */
export function useConfig(): { data: ConfigData | null; error: string | null; reload: () => void } {
  const version = useApp((s) => s.configVersion);
  const [data, setData] = useState<ConfigData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let cancelled = false;
    api
      .invoke('config:get', undefined)
      .then((d) => {
        if (!cancelled) {
          setData(d);
          setError(null);
        }
      })
      .catch((e: unknown) => !cancelled && setError(errorText(e).message));
    return () => {
      cancelled = true;
    };
  }, [version, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}
