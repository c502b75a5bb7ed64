/**
 * The Proxmox seed's `upssched-cmd` (main/hooks/fixtures/upssched-cmd, verbatim) runs UNCHANGED
 * under our upssched engine with the seed's AT rules:
 *
 *   CMDSCRIPT /usr/sbin/upssched-cmd
 *   AT ONLINE apc@localhost EXECUTE online
 *   AT ONBATT apc@localhost EXECUTE onbatt
 *   AT LOWBATT apc@localhost EXECUTE lowbatt
 *
 * The script calls `logger`, `upsc apc ups.status`, `upsc apc battery.charge` and
 * `notify-send-all`. logger and notify-send-all are shims on the hook's PATH that record their
 * arguments; upsc is the real one, against a real upsd (main/testing/upsd-rig.ts) serving `apc`.
 *
 * `upsc apc` means localhost:3493, while the rig listens on a free loopback port. Without changing
 * the script, the hook runs inside a private network namespace (`unshare --net`) where a relay
 * listens on 127.0.0.1:3493 (and [::1]:3493) and forwards, through a unix socket in the test dir,
 * to the rig. The test's ProcessRunner prefixes `nsenter --target <ns holder> --net --` and puts
 * the shims first on PATH: the command line changes, the script and its arguments do not.
 *
 * Needs root (network namespaces), util-linux (unshare, nsenter), iproute2 (ip), nut-server and
 * nut-client (upsd, dummy-ups, upsc), bash.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { type Server, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HooksSchema, upsSystemName } from '../../shared/config';
import type { StoredEvent } from '../../shared/history';
import { NodeProcessRunner, systemClock } from '../platform/node-ports';
import type { ProcessResult, ProcessRunner } from '../platform/ports';
import { PROXMOX_APC_UPS, type Rig, startUpsdRig } from '../testing/upsd-rig';
import { HookDispatcher } from './hook-dispatcher';

const SCRIPT = fileURLToPath(new URL('./fixtures/upssched-cmd', import.meta.url));
/** The Proxmox setup guide's step that lists upssched-cmd (VM side, step 8), copied verbatim. */
const SEED = fileURLToPath(
  new URL('./fixtures/proxmox-guide-upssched-cmd-step.md', import.meta.url),
);
const UPSNAME = upsSystemName({ host: 'localhost', port: 3493 }, 'apc');

/** Runs in the namespace: listens on localhost:3493 (once lo is up) and forwards to a unix socket. */
const RELAY_SOURCE = `
import net from 'node:net';
const socketPath = process.argv[2];
function serve(host) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((client) => {
      const upstream = net.createConnection(socketPath);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    server.once('error', reject);
    server.listen(3493, host, () => resolve(server));
  });
}
for (let i = 0; ; i++) {
  try { await serve('127.0.0.1'); break; } catch (e) { if (i > 500) throw e; await new Promise((r) => setTimeout(r, 20)); }
}
try { await serve('::1'); } catch { /* no IPv6 in this namespace: upsc falls back to 127.0.0.1 */ }
process.stdout.write('listening\\n');
`;

let dir: string;
let rig: Rig;
let hostRelay: Server;
let nsHolder: ChildProcess;
let logFile: string;
let notifyFile: string;

function need(program: string, pkg: string): string {
  for (const d of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    try {
      accessSync(join(d, program), constants.X_OK);
      return join(d, program);
    } catch {
      // next
    }
  }
  throw new Error(`this test needs ${program}: apt-get install ${pkg}`);
}

/** Records each invocation's arguments as one JSON line. */
function writeShim(shimDir: string, name: string, file: string): void {
  const path = join(shimDir, name);
  writeFileSync(
    path,
    `#!/bin/sh\nfor a in "$@"; do printf '%s\\037' "$a"; done >> ${file}\nprintf '\\n' >> ${file}\n`,
  );
  chmodSync(path, 0o755);
}

function invocations(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\x1f').slice(0, -1));
}

/** The test's ProcessRunner: the hook runs in the namespace, with the shims first on PATH. */
class NamespaceRunner implements ProcessRunner {
  readonly inner = new NodeProcessRunner();
  readonly calls: {
    file: string;
    args: readonly string[];
    env: Record<string, string> | undefined;
  }[] = [];
  constructor(
    private readonly nsenter: string,
    private readonly holderPid: number,
    private readonly path: string,
  ) {}
  run(
    file: string,
    args: readonly string[],
    options: Parameters<ProcessRunner['run']>[2],
  ): Promise<ProcessResult> {
    this.calls.push({ file, args, env: options.env });
    return this.inner.run(
      this.nsenter,
      ['--target', String(this.holderPid), '--net', '--', file, ...args],
      {
        ...options,
        env: { ...options.env, PATH: this.path },
      },
    );
  }
}

let runner: NamespaceRunner;

function readNs(link: string): string {
  try {
    return readlinkSync(link);
  } catch {
    return '';
  }
}

async function waitForOutput(child: ChildProcess, text: string, timeoutMs: number): Promise<void> {
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`namespace relay did not start: ${out}`)),
      timeoutMs,
    );
    const onData = (c: Buffer) => {
      out += c.toString('utf8');
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`namespace relay exited (${String(code)}): ${out}`));
    });
  });
}

beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error('this test needs root (it creates a network namespace)');
  const unshare = need('unshare', 'util-linux');
  const nsenter = need('nsenter', 'util-linux');
  const ip = need('ip', 'iproute2');
  need('upsc', 'nut-client');
  need('bash', 'bash');

  dir = mkdtempSync(join(tmpdir(), 'upssched-seed-'));
  const shimDir = join(dir, 'shims');
  mkdirSync(shimDir);
  logFile = join(dir, 'logger.calls');
  notifyFile = join(dir, 'notify-send-all.calls');
  writeShim(shimDir, 'logger', logFile);
  writeShim(shimDir, 'notify-send-all', notifyFile);

  rig = await startUpsdRig({ upses: [PROXMOX_APC_UPS] });

  const socketPath = join(dir, 'upsd.sock');
  hostRelay = createServer((client) => {
    const upstream = createConnection(rig.port, rig.host);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => hostRelay.listen(socketPath, resolve));

  const relayFile = join(dir, 'relay.mjs');
  writeFileSync(relayFile, RELAY_SOURCE);
  nsHolder = spawn(unshare, ['--net', '--', process.execPath, relayFile, socketPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = waitForOutput(nsHolder, 'listening', 15_000);
  // unshare(2) happens after spawn returns: wait until the holder is really in its own namespace,
  // or `ip link set lo up` would act on ours and leave the namespace's loopback down.
  const ownNs = readlinkSync('/proc/self/ns/net');
  const holderNs = `/proc/${nsHolder.pid}/ns/net`;
  const deadline = Date.now() + 10_000;
  while (readNs(holderNs) === ownNs) {
    if (Date.now() > deadline)
      throw new Error('unshare --net did not create a network namespace (is this root?)');
    await new Promise((r) => setTimeout(r, 10));
  }
  const up = spawnSync(
    nsenter,
    ['--target', String(nsHolder.pid), '--net', '--', ip, 'link', 'set', 'lo', 'up'],
    { encoding: 'utf8' },
  );
  if (up.status !== 0) throw new Error(`could not bring lo up in the namespace: ${up.stderr}`);
  await ready;
  // The path the script takes: upsc apc → localhost:3493 in the namespace → relay → rig.
  // (Asynchronously: the host end of the relay runs in this process.)
  const probe = await new NodeProcessRunner().run(
    nsenter,
    ['--target', String(nsHolder.pid), '--net', '--', 'upsc', 'apc', 'ups.status'],
    { timeoutMs: 10_000 },
  );
  if (probe.exitCode !== 0 || probe.stdout.trim() === '')
    throw new Error(`upsc apc does not reach the rig from the namespace: ${probe.stderr}`);

  runner = new NamespaceRunner(
    nsenter,
    nsHolder.pid!,
    `${shimDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  );
}, 60_000);

afterAll(async () => {
  nsHolder?.kill('SIGTERM');
  hostRelay?.close();
  await rig?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const events: StoredEvent[] = [];
  const dispatcher = new HookDispatcher({
    hooks: HooksSchema.parse({
      upssched: {
        cmdScript: { file: SCRIPT },
        rules: [
          { event: 'ONLINE', ups: 'apc@localhost', action: 'EXECUTE', command: 'online' },
          { event: 'ONBATT', ups: 'apc@localhost', action: 'EXECUTE', command: 'onbatt' },
          { event: 'LOWBATT', ups: 'apc@localhost', action: 'EXECUTE', command: 'lowbatt' },
          { event: 'COMMBAD', ups: '*', action: 'EXECUTE', command: 'commbad' },
        ],
      },
    }),
    runner,
    clock: systemClock,
    notifier: null,
    sink: (e) => events.push(e),
  });
  return { events, dispatcher };
}

/** What the hook runs printed on stderr (upsc's errors), for failure messages. */
function stderrOf(events: StoredEvent[]): string {
  return events
    .filter((e) => e.type === 'HOOK_RUN')
    .map((e) => String(e.data?.stderr))
    .join('\n---\n');
}

function resetCalls(): void {
  rmSync(logFile, { force: true });
  rmSync(notifyFile, { force: true });
  runner.calls.length = 0;
}

describe('the Proxmox seed upssched-cmd under our upssched engine', () => {
  it('the fixture is the seed script verbatim, and executable', () => {
    const fixture = readFileSync(SCRIPT, 'utf8');
    const seed = readFileSync(SEED, 'utf8');
    const indented = fixture
      .trimEnd()
      .split('\n')
      .map((l) => (l === '' ? '' : `    ${l}`))
      .join('\n');
    expect(seed).toContain(indented);
    expect(fixture).toContain('UPS="apc"\n');
    expect(statSync(SCRIPT).mode & 0o111).not.toBe(0);
  });

  it('ONBATT on apc@localhost runs `upssched-cmd onbatt`, which reads the real upsd and sends the seed message', async () => {
    await rig.setStatus('apc', 'OB DISCHRG');
    await rig.setVar('apc', 'battery.charge', '87');
    resetCalls();
    const { events, dispatcher } = setup();
    const summary = dispatcher.dispatch({
      event: 'ONBATT',
      upsName: UPSNAME,
      monitorId: 'pve/apc',
    });
    expect(UPSNAME).toBe('apc@localhost');
    expect(summary.upssched).toEqual([{ action: 'EXECUTE', command: 'onbatt' }]);
    await dispatcher.idle();

    const message = 'apc, [OB DISCHRG]:87% - WARNING - Power failure. Now running on battery!';
    expect(runner.calls.map((c) => [c.file, c.args])).toEqual([[SCRIPT, ['onbatt']]]);
    expect(runner.calls[0]!.env).toMatchObject({ UPSNAME: 'apc@localhost', NOTIFYTYPE: 'ONBATT' });
    expect(invocations(notifyFile), stderrOf(events)).toEqual([[message]]);
    expect(invocations(logFile)).toEqual([
      ['-i', '-t', 'upssched-cmd', 'Calling', 'upssched-cmd', 'onbatt'],
      // `logger ... $MSG` is unquoted in the seed: the words arrive one by one.
      ['-i', '-t', 'upssched-cmd', ...message.split(' ')],
    ]);
    const run = events.find((e) => e.type === 'HOOK_RUN')!;
    expect(run).toMatchObject({
      severity: 'info',
      monitorId: 'pve/apc',
      data: {
        source: 'upssched',
        cause: 'execute',
        program: SCRIPT,
        args: ['onbatt'],
        exitCode: 0,
        timedOut: false,
        upsName: 'apc@localhost',
      },
    });
  });

  it('LOWBATT and ONLINE produce the seed messages with the live status and charge', async () => {
    const { events, dispatcher } = setup();
    await rig.setStatus('apc', 'OB DISCHRG LB');
    await rig.setVar('apc', 'battery.charge', '79');
    resetCalls();
    dispatcher.dispatch({ event: 'LOWBATT', upsName: UPSNAME, monitorId: 'pve/apc' });
    await dispatcher.idle();
    expect(invocations(notifyFile), stderrOf(events)).toEqual([
      ['apc, [OB DISCHRG LB]:79% - WARNING - Low battery. Shutdown now!'],
    ]);

    await rig.setStatus('apc', 'OL CHRG');
    await rig.setVar('apc', 'battery.charge', '80');
    resetCalls();
    dispatcher.dispatch({ event: 'ONLINE', upsName: UPSNAME, monitorId: 'pve/apc' });
    await dispatcher.idle();
    expect(invocations(notifyFile), stderrOf(events)).toEqual([
      ['apc, [OL CHRG]:80% - INFO - Power supply is back online.'],
    ]);
    expect(runner.calls.map((c) => c.args)).toEqual([['online']]);
  });

  it('another UPS does not match the seed rules; an unknown argument takes the script’s error branch (exit 1, recorded)', async () => {
    const { events, dispatcher } = setup();
    await rig.setStatus('apc', 'OL');
    await rig.setVar('apc', 'battery.charge', '100');
    resetCalls();
    expect(
      dispatcher.dispatch({ event: 'ONBATT', upsName: 'apc@pve.lan', monitorId: 'other/apc' })
        .upssched,
    ).toEqual([]);
    dispatcher.dispatch({ event: 'COMMBAD', upsName: UPSNAME, monitorId: 'pve/apc' });
    await dispatcher.idle();
    expect(runner.calls.map((c) => c.args)).toEqual([['commbad']]);
    expect(invocations(notifyFile)).toEqual([]);
    expect(invocations(logFile), stderrOf(events)).toEqual([
      ['-i', '-t', 'upssched-cmd', 'Calling', 'upssched-cmd', 'commbad'],
      ['-i', '-t', 'upssched-cmd', 'ERROR - Bad argument: "commbad", [OL]:100%'],
    ]);
    const run = events.find((e) => e.type === 'HOOK_RUN')!;
    expect(run).toMatchObject({ severity: 'warning', data: { exitCode: 1, args: ['commbad'] } });
  });
});
