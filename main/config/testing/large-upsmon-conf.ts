/**
 * A generated upsmon.conf of about `bytes` characters, for the import's size test and benchmark:
 * the worst case for redaction (every MONITOR line has its own password, many per master) mixed
 * with the other directives a real file has. Every password contains `-secret`, which no other
 * text does, so a leak is found with one substring search.
 */
export interface LargeUpsmonConf {
  text: string;
  monitorLines: number;
  passwords: string[];
}

export function makeLargeUpsmonConf(bytes: number): LargeUpsmonConf {
  const lines: string[] = [
    '# generated',
    'NOTIFYCMD /usr/local/bin/notify',
    'NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC',
    'DEADTIME 25',
  ];
  const passwords: string[] = [];
  let size = lines.join('\n').length;
  for (let i = 0; size < bytes; i++) {
    const password = `pw-${i.toString(36)}-secret`;
    const group = [`MONITOR ups${i}@nas${i % 40}.example.lan 1 monuser ${password} secondary`];
    if (i % 10 === 0)
      group.push(`NOTIFYMSG ONBATT "UPS %s on battery (${i})"`, `# master nas${i % 40}`);
    const chunk = `\n${group.join('\n')}`;
    if (size + chunk.length > bytes) break;
    passwords.push(password);
    lines.push(...group);
    size += chunk.length;
  }
  return { text: `${lines.join('\n')}\n`, monitorLines: passwords.length, passwords };
}
