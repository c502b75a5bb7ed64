import { describe, expect, it } from 'vitest';
import { MASTER_PRESETS } from './config';
import { rightNeededFor, rightsWordsFor, upsdUsersBlock } from './rights';

describe('rights words', () => {
  it('PROTVER means 2.8 words; no PROTVER, DSM or an unknown server means the old words', () => {
    expect(rightsWordsFor({ protVer: '1.3' })).toBe('primary-secondary');
    expect(rightsWordsFor({ protVer: undefined })).toBe('master-slave');
    expect(rightsWordsFor({ protVer: '1.3', synology: true })).toBe('master-slave');
    expect(rightsWordsFor(null)).toBe('master-slave');
  });

  it('names the one right each command needs', () => {
    expect(rightNeededFor('master-slave', 'LOGIN')).toBe('`upsmon slave` (or `upsmon master`)');
    expect(rightNeededFor('primary-secondary', 'MASTER ups')).toBe('`upsmon primary`');
    expect(rightNeededFor('primary-secondary', 'fsd ups')).toBe(
      '`upsmon primary` or `actions = FSD`',
    );
    expect(rightNeededFor('master-slave', 'SET VAR ups x 1')).toBe('`actions = SET`');
    expect(rightNeededFor('master-slave', 'GET VAR ups x')).toBeUndefined();
    expect(upsdUsersBlock('master-slave', 'pi')).toContain('upsmon slave');
  });

  it('the static Proxmox preset hint (shown before the server is known) names both words', () => {
    const hint = MASTER_PRESETS.proxmox.hints.join(' ');
    expect(hint).toContain('`upsmon secondary`');
    expect(hint).toContain('`upsmon slave`');
  });
});
