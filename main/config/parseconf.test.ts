import { describe, expect, it } from 'vitest';
import { tokenizeConf } from './parseconf';
import { importCommand, shellFeatures } from './shell-command';

const words = (text: string) => tokenizeConf(text).map((l) => l.words.map((w) => w.value));

describe('tokenizeConf (NUT parseconf rules, main/nut/README.md §1.2)', () => {
  it('splits on whitespace and skips blank and comment lines', () => {
    expect(
      words('# comment\n\n  MONITOR  ups@host\t1 u p slave  \n   # indented comment\n'),
    ).toEqual([['MONITOR', 'ups@host', '1', 'u', 'p', 'slave']]);
  });

  it('groups quoted words, keeps "" as an empty word, and ends a word at the closing quote', () => {
    expect(words('NOTIFYMSG ONBATT "UPS %s: on battery"')).toEqual([
      ['NOTIFYMSG', 'ONBATT', 'UPS %s: on battery'],
    ]);
    expect(words('X "" y')).toEqual([['X', '', 'y']]);
    expect(words('X "ab"cd')).toEqual([['X', 'ab', 'cd']]);
    expect(words('X ab"cd"')).toEqual([['X', 'ab"cd"']]);
  });

  it('takes the character after a backslash literally, inside and outside quotes', () => {
    expect(words('X "a \\"q\\" \\\\ \\#" b\\ c d\\#e')).toEqual([
      ['X', 'a "q" \\ #', 'b c', 'd#e'],
    ]);
  });

  it('starts a comment at an unquoted #, also right after a word', () => {
    expect(words('RBWARNTIME 7200 # 2 hours')).toEqual([['RBWARNTIME', '7200']]);
    expect(words('RBWARNTIME 7200#2 hours')).toEqual([['RBWARNTIME', '7200']]);
  });

  it('keeps a # inside quotes (newer NUT) and flags it (a parse error for NUT 2.8.0)', () => {
    const [line] = tokenizeConf('MONITOR u@h 1 user "pa#ss" slave');
    expect(line?.words.map((w) => w.value)).toEqual([
      'MONITOR',
      'u@h',
      '1',
      'user',
      'pa#ss',
      'slave',
    ]);
    expect(line?.quirks).toEqual(['hash-in-quotes']);
  });

  it('makes an unquoted = a word of its own', () => {
    expect(words('MODE=netclient')).toEqual([['MODE', '=', 'netclient']]);
    expect(words('a = b "c=d"')).toEqual([['a', '=', 'b', 'c=d']]);
  });

  it('joins lines after a trailing backslash and reports the starting line', () => {
    const lines = tokenizeConf('A 1\nMONITOR u@h 1 \\\nuser pw slave\nB 2');
    expect(lines.map((l) => [l.line, l.lastLine, l.words.map((w) => w.value)])).toEqual([
      [1, 1, ['A', '1']],
      [2, 3, ['MONITOR', 'u@h', '1', 'user', 'pw', 'slave']],
      [4, 4, ['B', '2']],
    ]);
    expect(lines[1]?.quirks).toEqual(['continued']);
  });

  it('runs an unterminated quote into the next lines, as upsmon does, and flags it', () => {
    const lines = tokenizeConf('SHUTDOWNCMD "/sbin/shutdown -h\nNEXT line" tail\nLAST 1');
    expect(lines.map((l) => [l.line, l.lastLine, l.words.map((w) => w.value), l.quirks])).toEqual([
      [1, 2, ['SHUTDOWNCMD', '/sbin/shutdown -hNEXT line', 'tail'], ['unterminated-quote']],
      [3, 3, ['LAST', '1'], []],
    ]);
  });

  it('drops non-ASCII and control characters, like upsmon', () => {
    const [line] = tokenizeConf('X "ä\tb" c€d');
    expect(line?.words.map((w) => w.value)).toEqual(['X', 'b', 'cd']);
    expect(line?.quirks).toEqual(['dropped-characters']);
  });

  it('handles CRLF files and a last line without a newline', () => {
    const lines = tokenizeConf('A 1\r\nB "2"\r\nC 3');
    expect(lines.map((l) => l.words.map((w) => w.value))).toEqual([
      ['A', '1'],
      ['B', '2'],
      ['C', '3'],
    ]);
    expect(lines.map((l) => 'A 1\r\nB "2"\r\nC 3'.slice(l.start, l.end))).toEqual([
      'A 1',
      'B "2"',
      'C 3',
    ]);
  });

  it('applies the 32-word and 512-character limits', () => {
    const [many] = tokenizeConf(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '));
    expect(many?.words).toHaveLength(32);
    expect(many?.quirks).toContain('too-many-words');
    const [long] = tokenizeConf(`X ${'a'.repeat(600)}`);
    expect(long?.words[1]?.value).toHaveLength(512);
    expect(long?.quirks).toContain('word-truncated');
  });

  it('records where each word is in the text (quotes included)', () => {
    const text = 'MONITOR u@h 1 user "p w" slave';
    const [line] = tokenizeConf(text);
    const pw = line?.words[4];
    expect(pw && text.slice(pw.start, pw.end)).toBe('"p w"');
  });
});

describe('importCommand', () => {
  it('splits a command without shell syntax', () => {
    expect(importCommand('/sbin/shutdown -h +0', false)).toEqual({
      command: { file: '/sbin/shutdown', args: ['-h', '+0'] },
      shellFeatures: [],
    });
    expect(importCommand('  /usr/sbin/upssched-cmd  ', true)).toEqual({
      command: { file: '/usr/sbin/upssched-cmd', args: [] },
      shellFeatures: [],
    });
  });

  it('wraps anything a shell would interpret in /bin/sh -c', () => {
    const seed =
      'logger -t upsmon.conf "SHUTDOWNCMD calling /sbin/shutdown to shut down system" ; /sbin/shutdown -h +0';
    expect(importCommand(seed, false)).toEqual({
      command: { file: '/bin/sh', args: ['-c', seed] },
      shellFeatures: ['`;`', 'double quotes'],
    });
    expect(importCommand('notify $HOST', true)?.command).toEqual({
      file: '/bin/sh',
      args: ['-c', 'notify $HOST "$1"', 'sh'],
    });
    for (const cmd of [
      'a | b',
      'a && b',
      'a > f',
      "a 'b c'",
      'a `b`',
      'a *',
      '~/bin/x',
      'FOO=1 cmd',
      'a\\ b',
      'a # c',
      '(a)',
      'a!',
    ]) {
      expect(shellFeatures(cmd), cmd).not.toEqual([]);
    }
  });

  it('returns null for an empty command', () => {
    expect(importCommand('   ', false)).toBeNull();
  });
});
