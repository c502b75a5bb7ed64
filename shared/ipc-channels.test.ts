import { describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS, PUSH_CHANNELS, isInvokeChannel, isPushChannel } from './ipc-channels';
import { invokeChannels, pushChannels } from './ipc';

describe('the channel names (shared/ipc-channels.ts) and the contract (shared/ipc.ts)', () => {
  it('name exactly the channels the contract has schemas for, each once', () => {
    expect([...INVOKE_CHANNELS].sort()).toEqual(Object.keys(invokeChannels).sort());
    expect([...PUSH_CHANNELS].sort()).toEqual(Object.keys(pushChannels).sort());
    expect(new Set(INVOKE_CHANNELS).size).toBe(INVOKE_CHANNELS.length);
    expect(new Set(PUSH_CHANNELS).size).toBe(PUSH_CHANNELS.length);
    for (const channel of INVOKE_CHANNELS) {
      expect(channel).toMatch(/^[a-z]+:[a-z]+(-[a-z]+)*$/);
      expect(isPushChannel(channel)).toBe(false);
    }
  });

  it('recognise only their own names (no prototype keys, no look-alikes)', () => {
    expect(isInvokeChannel('config:save')).toBe(true);
    expect(isPushChannel('app:snapshot')).toBe(true);
    for (const value of [
      'toString',
      '__proto__',
      'constructor',
      'config:Save',
      ' config:save',
      42,
      null,
    ])
      expect([isInvokeChannel(value), isPushChannel(value)]).toEqual([false, false]);
  });
});
