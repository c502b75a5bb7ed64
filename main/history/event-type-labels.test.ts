import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  NOTIFY_TYPES,
  OTHER_EVENT_TITLES,
  eventTypeLabel,
  isNotifyType,
} from '../../shared/notify-types';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(full);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** `export const X_EVENT = 'NAME'` in shared/: the type names emitters pass by constant. */
function sharedEventConstants(): Map<string, string> {
  const constants = new Map<string, string>();
  for (const file of sourceFiles(path.join(repo, 'shared'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(
      /export const (\w+_EVENT) = '([A-Z][A-Z0-9_]*)'/g,
    )) {
      constants.set(m[1]!, m[2]!);
    }
  }
  return constants;
}

/**
 * Every event type the product code in main/ records: `type: 'NAME'` in an event object, and
 * the type argument of the recording helpers (`recordSystem('NAME', …)`, `sink.system(session,
 * 'NAME', …)`, `x.record(['target',] 'NAME' | NAME_EVENT | cond ? 'A' : 'B', severity, …)`).
 * Notification types come from the monitor as `effect.event` and are all NOTIFY_TYPES.
 */
function emittedEventTypes(): Map<string, string> {
  const constants = sharedEventConstants();
  const found = new Map<string, string>();
  const resolve = (name: string, file: string): string => {
    const value = constants.get(name);
    if (value === undefined) throw new Error(`${file}: ${name} is not a shared *_EVENT constant`);
    return value;
  };
  const add = (name: string, file: string) => {
    if (!found.has(name)) found.set(name, path.relative(repo, file));
  };
  for (const file of sourceFiles(path.join(repo, 'main'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\btype: '([A-Z][A-Z0-9_]*)'/g)) add(m[1]!, file);
    for (const m of text.matchAll(/\btype: ([A-Z][A-Z0-9_]*_EVENT)\b/g))
      add(resolve(m[1]!, file), file);
    for (const call of text.matchAll(/(?:recordSystem|\.record|sink\.system)\(/g)) {
      // The arguments before the severity: the type is among them.
      const rest = text.slice(call.index + call[0].length, call.index + call[0].length + 400);
      const end = rest.search(/'(?:info|warning|critical)'|\bseverity\b|\{/);
      const head = end === -1 ? '' : rest.slice(0, end);
      for (const m of head.matchAll(/'([A-Z][A-Z0-9_]*)'/g)) add(m[1]!, file);
      for (const m of head.matchAll(/\b([A-Z][A-Z0-9_]*_EVENT)\b/g))
        add(resolve(m[1]!, file), file);
    }
  }
  return found;
}

describe('event type labels', () => {
  const emitted = emittedEventTypes();

  it('finds the recorded types in main/ (the scan itself works)', () => {
    for (const known of [
      'HOOK_RUN',
      'SHUTDOWN_BEGINS',
      'SHUTDOWN_COMMAND',
      'LOGIN',
      'CONFIG_SAVED',
      'FSD_TEST_ABORTED',
      'INSTANT_COMMAND',
      'SELF_TEST',
      'OUTAGE_RECORDED',
    ]) {
      expect(emitted.has(known), known).toBe(true);
    }
    expect(emitted.size).toBeGreaterThan(30);
  });

  it('gives every type the code can record a readable label that keeps the raw name', () => {
    const unlabelled = [...emitted]
      .filter(([type]) => !isNotifyType(type) && OTHER_EVENT_TITLES[type] === undefined)
      .map(([type, file]) => `${type} (${file})`);
    expect(unlabelled).toEqual([]);
    for (const type of [...emitted.keys(), ...NOTIFY_TYPES]) {
      const label = eventTypeLabel(type);
      expect(label).toMatch(new RegExp(`^\\S.* \\(${type}\\)$`));
    }
  });

  it('labels no type that nothing records (no stale entries)', () => {
    const stale = Object.keys(OTHER_EVENT_TITLES).filter((type) => !emitted.has(type));
    expect(stale).toEqual([]);
    expect(Object.keys(OTHER_EVENT_TITLES).filter(isNotifyType)).toEqual([]);
  });

  it('reads like the notification title, and shows an unknown (older) type as it is', () => {
    expect(eventTypeLabel('ONBATT')).toBe('On battery (ONBATT)');
    expect(eventTypeLabel('HOOK_RUN')).toBe('Hook ran (HOOK_RUN)');
    expect(eventTypeLabel('login-refused')).toBe('login-refused');
  });
});
