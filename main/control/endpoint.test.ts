/**
 * Where the control channel lives and who may open it, per platform (the Windows pipe cannot be
 * created here, so its path and its access choice are checked as data), and the peer-credential
 * parsing the Linux check relies on.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  accessDeniedMessage,
  CONTROL_ENDPOINT_ENV,
  controlEndpoint,
  defaultControlEndpoint,
  windowsPipeListenOptions,
  windowsPipePath,
} from './endpoint';
import { parseProcStatus, peerAllowed, peerInodeOf, pidOfSocketInode } from './peer-credentials';

describe('control endpoint', () => {
  it('has one default per platform, and the environment overrides it', () => {
    expect(defaultControlEndpoint('linux', {})).toBe('/run/nut-sentinel/control.sock');
    expect(defaultControlEndpoint('darwin', {})).toBe('/var/run/nut-sentinel/control.sock');
    expect(defaultControlEndpoint('win32', {})).toBe('\\\\.\\pipe\\nut-sentinel-control');
    expect(defaultControlEndpoint('linux', { [CONTROL_ENDPOINT_ENV]: '/tmp/x/c.sock' })).toBe(
      '/tmp/x/c.sock',
    );
    expect(defaultControlEndpoint('win32', { [CONTROL_ENDPOINT_ENV]: 'other-pipe' })).toBe(
      '\\\\.\\pipe\\other-pipe',
    );
  });

  it('takes --control-socket as a path, or on Windows as a pipe, else the default', () => {
    expect(controlEndpoint('rel/c.sock', 'linux', {})).toBe(path.resolve('rel/c.sock'));
    expect(controlEndpoint('my-pipe', 'win32', {})).toBe('\\\\.\\pipe\\my-pipe');
    expect(controlEndpoint(undefined, 'linux', {})).toBe('/run/nut-sentinel/control.sock');
    expect(controlEndpoint(undefined, 'linux', { [CONTROL_ENDPOINT_ENV]: 'env.sock' })).toBe(
      path.resolve('env.sock'),
    );
  });

  it('builds local Windows pipe paths only', () => {
    expect(windowsPipePath('\\\\.\\pipe\\nut-sentinel-control')).toBe(
      '\\\\.\\pipe\\nut-sentinel-control',
    );
    expect(windowsPipePath('//./pipe/abc')).toBe('\\\\.\\pipe\\abc');
    expect(() => windowsPipePath('\\\\fileserver\\pipe\\nut')).toThrow(/another machine/);
    expect(() => windowsPipePath('a name with spaces')).toThrow(/not a pipe name/);
  });

  it('keeps the Windows default ACL (administrators) unless all users are chosen', () => {
    expect(windowsPipeListenOptions('administrators')).toEqual({
      readableAll: false,
      writableAll: false,
    });
    expect(windowsPipeListenOptions('all-users')).toEqual({ readableAll: true, writableAll: true });
  });

  it('tells a refused user how to get access on each platform', () => {
    expect(accessDeniedMessage('/run/nut-sentinel/control.sock', 'linux')).toMatch(
      /control socket \/run\/nut-sentinel\/control.sock.*"nut-sentinel" group.*sudo usermod -aG nut-sentinel "\$USER".*log out and in/,
    );
    expect(accessDeniedMessage('/var/run/nut-sentinel/control.sock', 'darwin')).toContain(
      'dseditgroup -o edit -a "$USER" -t user nut-sentinel',
    );
    expect(accessDeniedMessage('\\\\.\\pipe\\nut-sentinel-control', 'win32')).toMatch(
      /only administrators.*--control-access all-users/,
    );
  });
});

describe('peer credentials (Linux)', () => {
  // Real `ss -xpnH` lines: the service's end (bound path) and the client's end (anonymous).
  const ss = [
    'u_str ESTAB 0      0      /run/nut-sentinel/control.sock 41001            * 41000 users:(("node",pid=900,fd=23))',
    'u_str ESTAB 0      0                                   * 41000            * 41001 users:(("electron",pid=1234,fd=41))',
    'u_str LISTEN 0      511   /run/nut-sentinel/control.sock 40000            * 0     users:(("node",pid=900,fd=21))',
  ].join('\n');

  it('finds the process on the other end of our socket', () => {
    const peer = peerInodeOf(ss, 41001);
    expect(peer).toBe(41000);
    expect(pidOfSocketInode(ss, peer!)).toBe(1234);
    expect(peerInodeOf(ss, 99)).toBeNull();
  });

  it('reads real uid, gid and groups from /proc/<pid>/status', () => {
    const status =
      'Name:\telectron\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t4 27 998 \n';
    expect(parseProcStatus(status)).toEqual({ uid: 1000, gid: 1000, groups: [4, 27, 998] });
    expect(parseProcStatus('Name:\tx\n')).toBeNull();
  });

  it('allows root and group members only', () => {
    expect(peerAllowed({ pid: 1, uid: 0, gid: 0, groups: [] }, 998)).toBe(true);
    expect(peerAllowed({ pid: 1, uid: 1000, gid: 1000, groups: [998] }, 998)).toBe(true);
    expect(peerAllowed({ pid: 1, uid: 1000, gid: 998, groups: [] }, 998)).toBe(true);
    // A stranger: any uid other than root and the service's own (the unit tier also runs as 65534).
    const stranger = process.getuid?.() === 65534 ? 65533 : 65534;
    expect(peerAllowed({ pid: 1, uid: stranger, gid: stranger, groups: [] }, 998)).toBe(false);
    expect(peerAllowed({ pid: 1, uid: stranger, gid: stranger, groups: [] }, null)).toBe(false);
    // The user the service runs as may always talk to it.
    const own = process.getuid?.() ?? 0;
    expect(peerAllowed({ pid: 1, uid: own, gid: own, groups: [] }, null)).toBe(true);
  });
});
