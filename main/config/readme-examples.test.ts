import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './config-file';

// The README's config examples are what users copy: they must stay valid against the schema.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const examples = [...readme.matchAll(/<!-- config-example: (\w+) -->\s*```json\n([\s\S]*?)```/g)].map((m) => ({ name: m[1]!, text: m[2]! }));

describe('README config examples', () => {
  it('has the Synology and Proxmox examples', () => {
    expect(examples.map((e) => e.name).sort()).toEqual(['proxmox', 'synology']);
  });

  it.each(examples)('$name parses and keeps its meaning', ({ name, text }) => {
    const config = parseConfigText(text, `README.md (${name})`);
    const master = config.masters[0]!;
    expect(master.preset).toBe(name);
    expect(master.ups[0]!.role).toBe('secondary');
    expect(master.ups[0]!.password.source).not.toBe('store');
  });
});
