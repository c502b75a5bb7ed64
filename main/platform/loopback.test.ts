import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from './loopback';

describe('isLoopbackHost', () => {
  it('is true for 127.0.0.0/8, ::1 in its spellings and localhost', () => {
    for (const host of [
      '127.0.0.1',
      '127.0.0.2',
      ' LOCALHOST ',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('is false for every other address and name', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '',
      '192.168.1.20',
      '::ffff:192.168.1.2',
      '128.0.0.1',
      'localhost.example.org',
      'nas.local',
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
