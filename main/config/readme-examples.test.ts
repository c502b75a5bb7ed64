import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from './config-file';

// The README's config examples are what users copy: they must stay valid against the schema.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const examples = [
  ...readme.matchAll(/<!-- config-example: (\w+) -->\s*```json\n([\s\S]*?)```/g),
].map((m) => ({ name: m[1]!, text: m[2]! }));

const MASTER_EXAMPLES = ['proxmox', 'synology'];
const CHANNEL_EXAMPLES = ['email', 'gotify', 'mqtt', 'ntfy', 'webhook'];

describe('README config examples', () => {
  it('has the Synology and Proxmox examples, one per alert channel type, and the metrics endpoint', () => {
    expect(examples.map((e) => e.name).sort()).toEqual(
      [...MASTER_EXAMPLES, ...CHANNEL_EXAMPLES, 'metrics'].sort(),
    );
  });

  it.each(examples.filter((e) => CHANNEL_EXAMPLES.includes(e.name)))(
    'channel example $name parses, has its type and keeps every secret out of the file',
    ({ name, text }) => {
      const config = parseConfigText(text, `README.md (${name})`);
      const channel = config.alerts.channels[0]!;
      expect(channel.type).toBe(name);
      const secrets = Object.entries(channel).filter(
        ([, value]) => typeof value === 'object' && value !== null && 'source' in value,
      );
      expect(secrets.length).toBeGreaterThan(0);
      for (const [, source] of secrets)
        expect((source as { source: string }).source).not.toBe('store');
    },
  );

  it('the metrics example turns the endpoint on, on loopback', () => {
    const config = parseConfigText(
      examples.find((e) => e.name === 'metrics')!.text,
      'README.md (metrics)',
    );
    expect(config.metrics).toEqual({ enabled: true, host: '127.0.0.1', port: 9797 });
  });

  it.each(examples.filter((e) => MASTER_EXAMPLES.includes(e.name)))(
    '$name parses and keeps its meaning',
    ({ name, text }) => {
      const config = parseConfigText(text, `README.md (${name})`);
      const master = config.masters[0]!;
      expect(master.preset).toBe(name);
      expect(master.ups[0]!.role).toBe('secondary');
      expect(master.ups[0]!.password.source).not.toBe('store');
    },
  );
});
