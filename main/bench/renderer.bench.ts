/**
 * The renderer in Chromium, against the real headless core (`node out/main/cli.js web`, the
 * browser bridge) and a real upsd with 4 dummy UPSes (main/testing/upsd-rig.ts), with 24 h of 1 s
 * history for each of them in the data folder (345,600 rows, written with HistoryStore before the
 * web process starts; the store is single-owner).
 *
 * 1. Page load → first live status (target: under 1 s). A fresh browser context per load (cold
 *    HTTP cache, like a first open from the tray) on the dashboard, with the core already
 *    connected to every UPS. Measured in the page: from navigation start (performance.now() = 0)
 *    until the first `ups-card` shows a live level (data-connection=connected, not stale, a raw
 *    status) — the DOM commit, seen by a MutationObserver installed before any page script — and
 *    until that frame is painted (next rAF + a posted task). Wall time: Node clock from
 *    page.goto() until the page reports the painted frame (through an exposed binding). One
 *    warm-up load is not counted.
 *
 * 2. Status-update cost while the 24 h charts are shown (target: an update frame under 16 ms).
 *    The UI has no view with charts of several UPSes: the dashboard shows the 4 UPSes as live cards
 *    (no charts), a UPS's detail page shows its card and 4 uPlot charts (charge, runtime, load,
 *    input voltage; 24 h is the default range). Every `app:snapshot` push carries all 4 UPSes, so
 *    the realistic "4 UPSes charted" case is the detail page of each UPS in turn (reached from the
 *    dashboard, as a user would) while all 4 keep changing: the viewed UPS flips OL ↔ OB DISCHRG
 *    every second, one of the other three (in turn) half a second later, through SET VAR on the rig.
 *    The dashboard under the same flips is measured as the no-chart baseline.
 *    For every push (the page's WebSocket `onmessage` is hooked before the app loads):
 *    - cost = main-thread work for the update, without the wait for vsync:
 *      (arrival → end of the microtask checkpoint after the handler: JSON parse, zod validation,
 *      store update, React render + commit, which React flushes in that checkpoint for store
 *      updates) + (the next frame's rAF → the task after that frame: rAF callbacks, style,
 *      layout, paint recording);
 *    - the frame interval (rAF → rAF) of the frames that carried the update, from a rAF loop that
 *      runs during the window (60 Hz here, so a normal frame is 16.7 ms; > 25 ms missed a vsync);
 *    - arrival → painted latency; plus Chromium's long-animation-frame / longtask entries.
 *    Also timed: opening a detail page until its 4 charts are drawn (24 h query + uPlot build).
 *
 *    Cross-checked once against a Chromium trace (busy time of the renderer's main-thread tasks in
 *    [arrival, painted]): the trace saw ~1 ms more per push at the median (task overhead, the odd
 *    unrelated timer), so `cost` is a slight under-estimate, not an inflated one. The page's
 *    performance.now() is clamped to 0.1 ms (no cross-origin isolation). document.title writes are
 *    timed too (the store sets the title on every snapshot).
 *
 * 3. Where the time goes: CPU profiles (CDP, 200 µs sampling) of one more page load and of the
 *    detail page under the same flips, self time mapped through out/renderer's source maps to
 *    renderer/shared source lines and to packages, plus the inclusive time of our own functions.
 *    Run after 1 and 2 so the profiler does not inflate their figures.
 *
 * Build: the bench measures what `npm run build` produced (out/main/cli.js, out/renderer;
 * main/bench/build-check.ts).
 *
 * Figures only, no pass/fail. Needs root and nut-server 2.8.0 (the rig) and Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium). Env: NUT_BENCH_RENDERER_LOADS (default 10),
 * NUT_BENCH_RENDERER_SECONDS (per measured view, default 20), NUT_BENCH_RENDERER_PROFILE_SECONDS
 * (default 10; 0 skips the profiles).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Browser, type CDPSession, type Page, chromium } from 'playwright-core';
import type { ConfigInput } from '../../shared/config';
import type { MetricSample } from '../../shared/history';
import { HistoryStore } from '../history/history-store';
import { sleep } from '../testing/net';
import { checkBuild } from './build-check';
import { CLI_ENTRY, type WebProcess, bridgeInvoke, startWebProcess } from '../testing/web-process';
import {
  PROXMOX_APC_UPS_VARS,
  type Rig,
  type RigUps,
  SYNOLOGY_UPS_VARS,
  makeTempDir,
  removeTempDir,
  startUpsdRig,
} from '../testing/upsd-rig';

// ---------------------------------------------------------------------------------------------
// Setup constants

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = CLI_ENTRY;
const RENDERER_DIR = path.join(ROOT, 'out/renderer');
const INDEX_HTML = path.join(RENDERER_DIR, 'index.html');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];
/** A common desktop monitor; the chart width (and so the points per chart, ≤ 2000) follows from it. */
const VIEWPORT = { width: 1920, height: 1080 };

const MASTER_ID = 'rig';
const UPSES: RigUps[] = [
  { name: 'nas', desc: 'APC Back-UPS CS 350', vars: SYNOLOGY_UPS_VARS },
  { name: 'pve', desc: 'APC Back-UPS ES 700', vars: PROXMOX_APC_UPS_VARS },
  { name: 'rack-a', desc: 'APC Back-UPS CS 350', vars: SYNOLOGY_UPS_VARS },
  { name: 'office', desc: 'APC Back-UPS ES 700', vars: PROXMOX_APC_UPS_VARS },
];
const UPS_NAMES = UPSES.map((u) => u.name);
const monitorIdOf = (name: string) => `${MASTER_ID}/${name}`;
/** The rig's Synology-style secondary (RIG_USERS.monuser); the password reaches the core by env, as in `web --demo`. */
const PASSWORD_ENV = 'NUT_BENCH_RENDERER_PASSWORD';
const USERNAME = 'monuser';
const PASSWORD = 'secret';

const DAY_MS = 86_400_000;
const FIRST_STATUS_TARGET_MS = 1000;
const FRAME_TARGET_MS = 16;
/** CPU profile sampling interval (µs): fine enough for 10 s windows, light enough not to swamp the page. */
const PROFILE_INTERVAL_US = 200;
/** A frame interval this much longer than the vsync period missed at least one vsync. */
const MISSED_VSYNC_FACTOR = 1.5;

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Results

export interface Stats {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export interface FirstStatusResult {
  loads: number;
  /** In-page, navigation start → first live card committed to the DOM. */
  liveMs: Stats;
  /** In-page, navigation start → that frame painted. */
  paintedMs: Stats;
  /** Node clock, page.goto() → the page reported the painted frame. */
  wallMs: Stats;
  /** Medians of the milestones on the way (ms after navigation start). */
  milestones: { name: string; medianMs: number }[];
  longFrames: LongFrameSummary;
}

export interface LongFrameSummary {
  /** long-animation-frame entries (≥ 50 ms) seen. */
  count: number;
  maxMs: number;
  /** The longest scripts in them, mapped to source where possible. */
  worstScripts: string[];
}

export interface UpdateResult {
  label: string;
  seconds: number;
  flips: number;
  pushes: number;
  /** Pushes that changed the level shown on screen. */
  statusChanges: number;
  /** Median push size (bytes of JSON). */
  pushBytes: number;
  /** Setting document.title inside the push handler (the store does it on every snapshot). */
  titleMs: Stats;
  titleChanges: number;
  titleLength: number;
  deferredRenders: number;
  costMs: Stats;
  /** The cost of the pushes that changed a level on screen, and of the others. */
  costChangedMs: Stats;
  costUnchangedMs: Stats;
  scriptMs: Stats;
  handlerMs: Stats;
  reactMs: Stats;
  renderingMs: Stats;
  latencyMs: Stats;
  frameIntervalMs: Stats;
  overTarget: number;
  missedVsync: number;
  /** Median rAF interval outside the updates (the vsync period). */
  vsyncMs: number;
  /** Frames outside push windows that missed a vsync (the 1 s clock tick, chart timers…). */
  idleMissedVsync: number;
  idleFrames: number;
  longFrames: LongFrameSummary;
  longTasks: number;
  /** Detail views only: opening the page until the 4 charts were drawn, and their width. */
  chartsOpenMs?: number;
  /** Combined only: the first open of a detail page (it also loads the lazy UpsDetail/uPlot chunk). */
  chartsFirstOpenMs?: number;
  chartWidthPx?: number;
}

export interface ProfileEntry {
  where: string;
  selfMs: number;
  share: number;
}

export interface ProfileResult {
  seconds: number;
  pushes: number;
  /** Every non-idle sample. */
  busyMs: number;
  /** JavaScript only: busy minus "(program)" (Blink's own work, and the profiler's overhead) and GC. */
  jsMs: number;
  /** Playwright's injected scripts (left out of everything else). */
  harnessMs: number;
  byArea: ProfileEntry[];
  /** Self time by function. */
  top: ProfileEntry[];
  /** Our own functions (renderer/src, shared) with everything they call: components, handlers. */
  ours: ProfileEntry[];
}

export interface RendererBenchResult {
  cpus: number;
  loadAverage: number;
  loadAverageEnd: number;
  chromium: string;
  historyRows: number;
  historyFillMs: number;
  firstStatus: FirstStatusResult;
  dashboard: UpdateResult;
  details: UpdateResult[];
  detailsCombined: UpdateResult;
  /** Uncaught errors the pages threw while measured. */
  pageErrors: string[];
  /** One extra page load, profiled until the live card is painted. */
  loadProfile: ProfileResult | null;
  updateProfile: ProfileResult | null;
}

function stats(samples: readonly number[]): Stats {
  const sorted = samples.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, p50: NaN, p95: NaN, max: NaN, mean: NaN };
  // Nearest-rank percentiles.
  const pick = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  return {
    count: sorted.length,
    p50: pick(0.5),
    p95: pick(0.95),
    max: sorted.at(-1)!,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

function median(values: readonly number[]): number {
  return stats(values).p50;
}

// ---------------------------------------------------------------------------------------------
// History pre-fill

/** Deterministic, realistic-looking 1 s readings with two power cuts per UPS (shaded in the charts). */
function sampleFor(upsIndex: number, monitorId: string, i: number, at: number): MetricSample {
  const cuts = [
    { start: 20_000 + upsIndex * 3_000, length: 360 },
    { start: 61_000 + upsIndex * 1_500, length: 90 },
  ];
  let onBattery = false;
  let charge = 100;
  for (const cut of cuts) {
    const into = i - cut.start;
    if (into >= 0 && into < cut.length) {
      onBattery = true;
      charge = 100 - into / 12;
    } else if (into >= cut.length && into < cut.length + 3_600) {
      charge = Math.min(
        100,
        100 - cut.length / 12 + ((into - cut.length) / 3_600) * (cut.length / 12),
      );
    }
  }
  const wave = Math.sin((i + upsIndex * 5_000) / 977);
  const load = 18 + upsIndex * 4 + 6 * wave + (onBattery ? 2 : 0);
  return {
    at,
    monitorId,
    charge: Math.round(charge),
    runtime: Math.round((charge / 100) * (2400 - load * 30)),
    load: Math.round(load),
    inputVoltage: onBattery ? 0 : Math.round((230 + 4 * Math.sin(i / 61) + upsIndex) * 10) / 10,
    status: onBattery ? 'OB DISCHRG' : charge < 100 ? 'OL CHRG' : 'OL',
  };
}

function prefillHistory(dataDir: string, end: number): { rows: number; ms: number } {
  const started = performance.now();
  // The app's default limits; large batches (one transaction per 20,000 rows), flushed at the end.
  const store = HistoryStore.open(path.join(dataDir, 'history.sqlite3'), {
    retentionDays: 30,
    maxEvents: 200_000,
    flushMaxRows: 20_000,
    flushIntervalMs: 60_000,
  });
  let rows = 0;
  try {
    const count = DAY_MS / 1000;
    const start = end - (count - 1) * 1000;
    for (let i = 0; i < count; i++) {
      for (let u = 0; u < UPS_NAMES.length; u++) {
        store.appendSample(sampleFor(u, monitorIdOf(UPS_NAMES[u]!), i, start + i * 1000));
        rows++;
      }
    }
    store.flush();
  } finally {
    store.close();
  }
  return { rows, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// The web process (the real core + browser bridge)

/** Waits until the core reads a fresh status from every UPS (so page loads measure the UI, not the first connect). */
async function waitAllConnected(web: WebProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const snapshot = await bridgeInvoke(web.url, 'app:get-snapshot', undefined);
    const ready = snapshot.ups.filter(
      (u) => u.connection === 'connected' && u.status !== null && !u.stale,
    );
    if (ready.length === UPS_NAMES.length) return;
    const last = snapshot.ups
      .map((u) => `${u.monitorId}: ${u.connection} ${u.status ?? '-'}`)
      .join(', ');
    if (Date.now() > deadline)
      throw new Error(
        `the core did not connect to all ${UPS_NAMES.length} UPSes within 30 s (${last || snapshot.configProblem || 'no UPS'}):\n${web.output()}`,
      );
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// In-page instrumentation (plain JS: runs in Chromium before the app's scripts)

const INSTRUMENT = String.raw`(() => {
  if (window.__bench) return;
  const now = () => performance.now();
  const B = (window.__bench = { marks: {}, pushes: [], frames: [], loaf: [], longtasks: [], recording: false, windowStart: 0, current: null });
  const mark = (name, t) => { if (B.marks[name] === undefined) B.marks[name] = t === undefined ? now() : t; };
  // One channel for every "task after this frame" probe (a new MessageChannel costs ~0.1 ms).
  const afterFrame = [];
  const channel = new MessageChannel();
  channel.port1.onmessage = () => { const cb = afterFrame.shift(); if (cb) cb(now()); };
  /** Runs cb(time) in the first task after the current frame's rendering (call it from a rAF callback). */
  const taskAfterFrame = (cb) => { afterFrame.push(cb); channel.port2.postMessage(0); };
  /** Calls back with the time the next frame has been produced (rAF, then the task after it). */
  const afterNextPaint = (cb) => requestAnimationFrame(() => taskAfterFrame(cb));
  B.afterNextPaint = () => new Promise((resolve) => afterNextPaint(resolve));
  const levels = () => Array.from(document.querySelectorAll('[data-testid="ups-card"]'), (c) => c.getAttribute('data-level')).join(',');

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        B.loaf.push({
          start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
          scripts: (e.scripts || []).map((s) => ({ invoker: s.invoker, fn: s.sourceFunctionName, url: s.sourceURL, char: s.sourceCharPosition, duration: s.duration })),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch (e) { B.noLoaf = String(e); }
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) B.longtasks.push({ start: e.startTime, duration: e.duration }); })
      .observe({ type: 'longtask', buffered: true });
  } catch (e) { B.noLongtask = String(e); }

  // The app sets socket.onopen / socket.onmessage (renderer/src/bridge-client.ts): wrap the setters.
  const proto = WebSocket.prototype;
  const wrap = (prop, make) => {
    const d = Object.getOwnPropertyDescriptor(proto, prop);
    if (!d || !d.set || !d.get) return;
    Object.defineProperty(proto, prop, {
      configurable: true, enumerable: d.enumerable,
      get() { return d.get.call(this); },
      set(fn) { d.set.call(this, typeof fn === 'function' ? make(fn) : fn); },
    });
  };
  wrap('onopen', (fn) => function (ev) { mark('wsOpen'); return fn.call(this, ev); });
  wrap('onmessage', (fn) => function (ev) {
    const t0 = now();
    const data = typeof ev.data === 'string' ? ev.data : '';
    if (B.marks.statusMessage === undefined && data.includes('"monitorId"')) mark('statusMessage', t0);
    const isPush = data.startsWith('{"push":"app:snapshot"');
    const rec = B.recording && isPush ? { t0, bytes: data.length, levelBefore: levels() } : null;
    if (rec) B.pushes.push(rec);
    B.current = rec;
    try {
      return fn.call(this, ev);
    } finally {
      B.current = null;
      if (rec) {
        rec.handlerEnd = now();
        // Queued after React's own microtask (a store update schedules its sync render there).
        queueMicrotask(() => { rec.jsEnd = now(); rec.levelAtJsEnd = levels(); });
        requestAnimationFrame((ts) => {
          rec.raf1 = now();
          rec.raf1Ts = ts;
          taskAfterFrame((t) => { rec.paintDone = t; rec.levelAfter = levels(); });
        });
      }
    }
  });

  // The store sets document.title on every snapshot (renderer/src/store.ts): time it.
  const title = Object.getOwnPropertyDescriptor(Document.prototype, 'title');
  if (title && title.set && title.get) {
    Object.defineProperty(Document.prototype, 'title', {
      configurable: true, enumerable: title.enumerable,
      get() { return title.get.call(this); },
      set(value) {
        const rec = B.current;
        if (!rec) return title.set.call(this, value);
        const changed = title.get.call(this) !== String(value);
        const t = now();
        title.set.call(this, value);
        rec.titleMs = (rec.titleMs || 0) + (now() - t);
        rec.titleChanged = rec.titleChanged || changed;
        rec.titleLength = String(value).length;
      },
    });
  }

  // First live status: the first card that is connected, fresh and shows a raw status.
  const observer = new MutationObserver(() => {
    if (B.marks.firstCard === undefined && document.querySelector('[data-testid="ups-card"]')) mark('firstCard');
    const cards = document.querySelectorAll('[data-testid="ups-card"][data-connection="connected"][data-stale="false"]');
    for (const card of cards) {
      const level = card.getAttribute('data-level');
      if (level && level !== 'unknown' && card.querySelector('.raw-status')) {
        mark('live');
        observer.disconnect();
        afterNextPaint((t) => { mark('livePainted', t); if (typeof window.__benchLive === 'function') window.__benchLive(); });
        return;
      }
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-connection', 'data-stale', 'data-level', 'class'] });

  B.loadMarks = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const m = { ...B.marks };
    if (nav) {
      m.responseEnd = nav.responseEnd;
      m.domContentLoaded = nav.domContentLoadedEventEnd;
      m.load = nav.loadEventEnd || undefined;
    }
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    if (fcp) m.firstContentfulPaint = fcp.startTime;
    return m;
  };

  B.startRecording = () => {
    B.pushes = [];
    B.frames = [];
    B.recording = true;
    B.windowStart = now();
    const loop = (ts) => { if (!B.recording) return; B.frames.push(ts); requestAnimationFrame(loop); };
    requestAnimationFrame(loop);
  };
  B.stopRecording = () => {
    B.recording = false;
    const end = now();
    const inWindow = (e) => e.start >= B.windowStart && e.start <= end;
    return { start: B.windowStart, end, pushes: B.pushes, frames: B.frames, loaf: B.loaf.filter(inWindow), longtasks: B.longtasks.filter(inWindow) };
  };

  /** Navigates (hash route) and resolves once a panel with 'count' chart canvases is drawn and painted. */
  B.openCharts = (hash, count) => new Promise((resolve, reject) => {
    const t0 = now();
    location.hash = hash;
    const poll = () => {
      const panel = document.querySelector('[data-testid="history-panel"]');
      const canvases = panel ? panel.querySelectorAll('[data-testid^="chart-"] canvas').length : 0;
      if (panel && canvases >= count && !panel.querySelector('.spinner')) {
        const plot = panel.querySelector('[data-testid="chart-charge"] .uplot');
        const range = panel.querySelector('[data-testid="history-range"] .is-selected');
        afterNextPaint((t) => resolve({ ms: t - t0, width: plot ? plot.getBoundingClientRect().width : 0, range: range ? range.textContent : null }));
        return;
      }
      if (now() - t0 > 30000) { reject(new Error('charts not drawn within 30 s (' + canvases + ' canvases)')); return; }
      requestAnimationFrame(poll);
    };
    poll();
  });
})();`;

interface PushRecord {
  t0: number;
  bytes: number;
  levelBefore: string;
  handlerEnd?: number;
  jsEnd?: number;
  levelAtJsEnd?: string;
  raf1?: number;
  raf1Ts?: number;
  paintDone?: number;
  levelAfter?: string;
  titleMs?: number;
  titleChanged?: boolean;
  titleLength?: number;
}

interface LoafRecord {
  start: number;
  duration: number;
  blocking: number;
  scripts: { invoker: string; fn: string; url: string; char: number; duration: number }[];
}

interface Recording {
  start: number;
  end: number;
  pushes: PushRecord[];
  frames: number[];
  loaf: LoafRecord[];
  longtasks: { start: number; duration: number }[];
}

// ---------------------------------------------------------------------------------------------
// Source maps (profile and long-frame attribution)

interface LoadedMap {
  map: SourceMap;
  payload: SourceMapPayload;
  lineStarts: number[];
}

const sourceMaps = new Map<string, LoadedMap | null>();

function loadMap(url: string): LoadedMap | null {
  const file = /\/assets\/([^/?#]+\.js)/.exec(url)?.[1];
  if (!file) return null;
  if (sourceMaps.has(file)) return sourceMaps.get(file)!;
  const load = (): LoadedMap | null => {
    try {
      const payload = JSON.parse(
        fs.readFileSync(path.join(RENDERER_DIR, 'assets', `${file}.map`), 'utf8'),
      ) as SourceMapPayload;
      const code = fs.readFileSync(path.join(RENDERER_DIR, 'assets', file), 'utf8');
      const lineStarts = [0];
      for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1))
        lineStarts.push(i + 1);
      return { map: new SourceMap(payload), payload, lineStarts };
    } catch {
      return null; // no map (or a build without sourcemap): positions stay generated ones
    }
  };
  const loaded = load();
  sourceMaps.set(file, loaded);
  return loaded;
}

interface Origin {
  /** `renderer/src/components/Chart.tsx` or `node_modules/react-dom/…`. */
  source: string;
  /** 1-based. */
  line: number;
  /** The original source line, trimmed. */
  text: string;
}

function originOf(url: string, line0: number, column0: number): Origin | null {
  const loaded = loadMap(url);
  if (!loaded) return null;
  const entry = loaded.map.findEntry(line0, column0);
  // Segments without a source (and positions before the first mapping) map to nothing.
  if (
    !('originalSource' in entry) ||
    typeof entry.originalSource !== 'string' ||
    typeof entry.originalLine !== 'number'
  )
    return null;
  const index = loaded.payload.sources.indexOf(entry.originalSource);
  const source = entry.originalSource
    .replace(/^(\.\.\/)+/, '')
    .replace(/^.*?node_modules\//, 'node_modules/');
  const text = (
    loaded.payload.sourcesContent?.[index]?.split('\n')[entry.originalLine] ?? ''
  ).trim();
  return { source, line: entry.originalLine + 1, text };
}

function originOfChar(url: string, char: number): Origin | null {
  const loaded = loadMap(url);
  if (!loaded || char < 0) return null;
  let line = 0;
  while (line + 1 < loaded.lineStarts.length && loaded.lineStarts[line + 1]! <= char) line++;
  return originOf(url, line, char - loaded.lineStarts[line]!);
}

function packageOf(source: string): string | null {
  const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  return match ? match[1]! : null;
}

function describeOrigin(origin: Origin, fallbackName: string): string {
  const pkg = packageOf(origin.source);
  if (pkg)
    return `${pkg} ${path.basename(origin.source)}:${origin.line}${fallbackName ? ` ${fallbackName}` : ''} — ${origin.text.slice(0, 60)}`;
  return `${origin.source}:${origin.line} — ${origin.text.slice(0, 80)}`;
}

function summarizeLongFrames(entries: readonly LoafRecord[]): LongFrameSummary {
  const scripts = entries.flatMap((e) => e.scripts).sort((a, b) => b.duration - a.duration);
  const worstScripts = scripts.slice(0, 3).map((s) => {
    const origin = s.url ? originOfChar(s.url, s.char) : null;
    const invoker = s.invoker === s.url ? `evaluating ${path.basename(s.url)}` : s.invoker;
    const unnamed = s.invoker === s.url ? '(top level)' : '(anonymous)';
    const where = origin
      ? describeOrigin(origin, s.fn)
      : `${s.fn || unnamed} ${s.url ? path.basename(s.url) : ''}`.trim();
    return `${s.duration.toFixed(0)} ms ${invoker}: ${where}`;
  });
  return {
    count: entries.length,
    maxMs: entries.reduce((m, e) => Math.max(m, e.duration), 0),
    worstScripts,
  };
}

// ---------------------------------------------------------------------------------------------
// Browser helpers

/** What the page functions below touch (this project compiles without the DOM lib). */
interface BenchGlobal {
  __bench?: { marks: Record<string, number | undefined> };
  document: { querySelector(selector: string): { textContent: string | null } | null };
}

/** Uncaught errors in any page: figures from a broken page would mean nothing, so they are printed. */
const pageErrors: string[] = [];

async function newPage(browser: Browser, onLive?: () => void): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  if (onLive) await context.exposeBinding('__benchLive', () => onLive());
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function waitLive(page: Page): Promise<void> {
  // Functions, not strings: the page's CSP (script-src 'self') forbids the eval a string predicate needs.
  await page.waitForFunction(
    () => (globalThis as unknown as BenchGlobal).__bench?.marks.livePainted !== undefined,
    undefined,
    { timeout: 30_000, polling: 50 },
  );
}

// ---------------------------------------------------------------------------------------------
// 1. Page load → first live status

async function measureFirstStatus(
  browser: Browser,
  url: string,
  loads: number,
): Promise<FirstStatusResult> {
  const live: number[] = [];
  const painted: number[] = [];
  const wall: number[] = [];
  const milestones = new Map<string, number[]>();
  const loaf: LoafRecord[] = [];
  for (let run = 0; run <= loads; run++) {
    let reportedAt = 0;
    const page = await newPage(browser, () => {
      reportedAt ||= performance.now();
    });
    try {
      const started = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      await waitLive(page);
      // The binding call may still be in flight when waitForFunction sees the mark.
      for (let i = 0; i < 100 && reportedAt === 0; i++) await sleep(10);
      const marks = await page.evaluate<Record<string, number | undefined>>(
        'window.__bench.loadMarks()',
      );
      const entries = await page.evaluate<LoafRecord[]>(
        'window.__bench.loaf.filter((e) => e.start <= window.__bench.marks.livePainted)',
      );
      if (run === 0) continue; // warm-up: the bridge's first static requests, Chromium's first start-up
      live.push(marks.live!);
      painted.push(marks.livePainted!);
      if (reportedAt > 0) wall.push(reportedAt - started);
      for (const [name, value] of Object.entries(marks)) {
        if (typeof value === 'number' && value > 0)
          milestones.set(name, [...(milestones.get(name) ?? []), value]);
      }
      loaf.push(...entries);
    } finally {
      await page.context().close();
    }
  }
  const order = [
    'responseEnd',
    'firstContentfulPaint',
    'domContentLoaded',
    'load',
    'wsOpen',
    'statusMessage',
    'firstCard',
    'live',
    'livePainted',
  ];
  return {
    loads,
    liveMs: stats(live),
    paintedMs: stats(painted),
    wallMs: stats(wall),
    milestones: order
      .filter((name) => milestones.has(name))
      .map((name) => ({ name, medianMs: median(milestones.get(name)!) })),
    longFrames: summarizeLongFrames(loaf),
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Status updates

/**
 * Flips statuses on the rig for `seconds`: every 500 ms one SET VAR ups.status. With a viewed UPS
 * it gets every other flip (so it changes each second) and the other three share the rest; without
 * one (dashboard) the four take turns. Everything is back to OL at the end. Returns the flips done.
 */
async function driveFlips(rig: Rig, viewed: string | null, seconds: number): Promise<number> {
  const onBattery = new Map(UPS_NAMES.map((name) => [name, false]));
  const others = UPS_NAMES.filter((name) => name !== viewed);
  const started = performance.now();
  let tick = 0;
  while (performance.now() - started < seconds * 1000) {
    const target =
      viewed === null
        ? UPS_NAMES[tick % UPS_NAMES.length]!
        : tick % 2 === 0
          ? viewed
          : others[Math.floor(tick / 2) % others.length]!;
    const next = !onBattery.get(target);
    await rig.setStatus(target, next ? 'OB DISCHRG' : 'OL');
    onBattery.set(target, next);
    tick++;
    await sleep(Math.max(0, started + tick * 500 - performance.now()));
  }
  for (const [name, ob] of onBattery) if (ob) await rig.setStatus(name, 'OL');
  return tick;
}

/** Per-push figures of one recording (frame intervals never span two recordings). */
interface PushFigures {
  cost: number[];
  script: number[];
  handler: number[];
  react: number[];
  rendering: number[];
  latency: number[];
  frameIntervals: number[];
  changed: boolean[];
  bytes: number[];
  title: number[];
  titleChanges: number;
  titleLength: number[];
  /** Pushes whose level change was not in the DOM yet after the microtask: React rendered later, outside `cost`. */
  deferredRenders: number;
  statusChanges: number;
  vsyncMs: number;
  missedVsync: number;
  idleFrames: number;
  idleMissedVsync: number;
  loaf: LoafRecord[];
  longTasks: number;
}

function measurePushes(rec: Recording): PushFigures {
  const pushes = rec.pushes.filter(
    (p) =>
      p.jsEnd !== undefined &&
      p.raf1 !== undefined &&
      p.paintDone !== undefined &&
      p.handlerEnd !== undefined,
  );
  const frames = rec.frames;
  const intervals = frames
    .slice(1)
    .map((t, i) => ({ start: frames[i]!, end: t, length: t - frames[i]! }));
  const vsyncMs = median(intervals.map((i) => i.length));
  const missedLimit = vsyncMs * MISSED_VSYNC_FACTOR;
  const inUpdate = new Set<number>();
  const frameIntervals = pushes.map((p) => {
    // The frames that overlap [arrival, painted]: the update's work stretches the longest one.
    let worst = NaN;
    intervals.forEach((interval, index) => {
      if (interval.end >= p.t0 && interval.start <= p.paintDone!) {
        inUpdate.add(index);
        worst = Number.isNaN(worst) ? interval.length : Math.max(worst, interval.length);
      }
    });
    return worst;
  });
  const idle = intervals.filter((_, index) => !inUpdate.has(index));
  return {
    cost: pushes.map((p) => p.jsEnd! - p.t0 + (p.paintDone! - p.raf1!)),
    script: pushes.map((p) => p.jsEnd! - p.t0),
    handler: pushes.map((p) => p.handlerEnd! - p.t0),
    react: pushes.map((p) => p.jsEnd! - p.handlerEnd!),
    rendering: pushes.map((p) => p.paintDone! - p.raf1!),
    latency: pushes.map((p) => p.paintDone! - p.t0),
    frameIntervals,
    changed: pushes.map((p) => p.levelAfter !== p.levelBefore),
    bytes: pushes.map((p) => p.bytes),
    title: pushes.map((p) => p.titleMs ?? 0),
    titleChanges: pushes.filter((p) => p.titleChanged).length,
    titleLength: pushes.filter((p) => p.titleLength !== undefined).map((p) => p.titleLength!),
    deferredRenders: pushes.filter(
      (p) => p.levelAfter !== p.levelBefore && p.levelAtJsEnd === p.levelBefore,
    ).length,
    statusChanges: pushes.filter((p) => p.levelAfter !== p.levelBefore).length,
    vsyncMs,
    missedVsync: frameIntervals.filter((f) => f > missedLimit).length,
    idleFrames: idle.length,
    idleMissedVsync: idle.filter((i) => i.length > missedLimit).length,
    loaf: rec.loaf,
    longTasks: rec.longtasks.length,
  };
}

function toResult(
  label: string,
  seconds: number,
  flips: number,
  parts: readonly PushFigures[],
): UpdateResult {
  const all = (pick: (p: PushFigures) => number[]) => parts.flatMap(pick);
  const sum = (pick: (p: PushFigures) => number) => parts.reduce((s, p) => s + pick(p), 0);
  const cost = all((p) => p.cost);
  const changed = parts.flatMap((p) => p.changed);
  return {
    label,
    seconds,
    flips,
    pushes: cost.length,
    statusChanges: sum((p) => p.statusChanges),
    pushBytes: median(all((p) => p.bytes)),
    titleMs: stats(all((p) => p.title)),
    titleChanges: sum((p) => p.titleChanges),
    titleLength: median(all((p) => p.titleLength)),
    deferredRenders: sum((p) => p.deferredRenders),
    costMs: stats(cost),
    costChangedMs: stats(cost.filter((_, i) => changed[i])),
    costUnchangedMs: stats(cost.filter((_, i) => !changed[i])),
    scriptMs: stats(all((p) => p.script)),
    handlerMs: stats(all((p) => p.handler)),
    reactMs: stats(all((p) => p.react)),
    renderingMs: stats(all((p) => p.rendering)),
    latencyMs: stats(all((p) => p.latency)),
    frameIntervalMs: stats(all((p) => p.frameIntervals)),
    overTarget: cost.filter((c) => c > FRAME_TARGET_MS).length,
    missedVsync: sum((p) => p.missedVsync),
    vsyncMs: median(parts.map((p) => p.vsyncMs)),
    idleMissedVsync: sum((p) => p.idleMissedVsync),
    idleFrames: sum((p) => p.idleFrames),
    longFrames: summarizeLongFrames(parts.flatMap((p) => p.loaf)),
    longTasks: sum((p) => p.longTasks),
  };
}

async function recordUpdates(
  page: Page,
  rig: Rig,
  viewed: string | null,
  seconds: number,
  label: string,
): Promise<UpdateResult> {
  await page.evaluate('window.__bench.startRecording()');
  const flips = await driveFlips(rig, viewed, seconds);
  await sleep(1000); // the last push reaches the page and is painted
  const rec = await page.evaluate<Recording>('window.__bench.stopRecording()');
  return toResult(label, seconds, flips, [measurePushes(rec)]);
}

async function openDetail(page: Page, name: string): Promise<{ ms: number; width: number }> {
  // As a user does: back to the dashboard, then the UPS (the detail page mounts fresh, 24 h default).
  await page.evaluate(`location.hash = '#/'`);
  await page.waitForSelector('[data-testid="ups-grid"]');
  await page.evaluate('window.__bench.afterNextPaint()');
  const opened = await page.evaluate<{ ms: number; width: number; range: string | null }>(
    `window.__bench.openCharts('#/ups/${MASTER_ID}/${name}', 4)`,
  );
  if (opened.range?.trim() !== '24 h') {
    // The default range changed: choose 24 h (and time that redraw instead).
    const started = performance.now();
    await page.locator('[data-testid="history-range"] label', { hasText: '24 h' }).click();
    await page.waitForFunction(() => {
      const { document } = globalThis as unknown as BenchGlobal;
      return (
        document
          .querySelector('[data-testid="history-range"] .is-selected')
          ?.textContent?.trim() === '24 h' &&
        !document.querySelector('[data-testid="history-panel"] .spinner')
      );
    });
    await sleep(500);
    return { ms: performance.now() - started, width: opened.width };
  }
  return { ms: opened.ms, width: opened.width };
}

// ---------------------------------------------------------------------------------------------
// 3. CPU profile

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

function areaOf(source: string): string {
  const pkg = packageOf(source);
  if (pkg === 'react-dom' || pkg === 'react' || pkg === 'scheduler')
    return 'React (react-dom, scheduler)';
  if (pkg) return pkg;
  if (source.startsWith('shared/')) return 'shared/ (schemas)';
  return 'renderer/src';
}

function summarizeProfile(profile: CpuProfile, seconds: number, pushes: number): ProfileResult {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  // Each node's frame, described once.
  const described = new Map<number, { where: string; area: string; ours: boolean }>();
  const describe = (id: number) => {
    let d = described.get(id);
    if (d) return d;
    const frame = byNode.get(id)!.callFrame;
    if (frame.url === '') {
      const name = frame.functionName || '(native)';
      d = {
        where:
          name === '(program)'
            ? '(program): browser work outside JS — style, layout, paint, event dispatch'
            : name,
        area:
          name === '(garbage collector)'
            ? 'garbage collector'
            : name === '(program)'
              ? 'browser (style, layout, paint…)'
              : 'DOM/Web APIs called from JS',
        ours: false,
      };
    } else {
      const origin = originOf(frame.url, frame.lineNumber, frame.columnNumber);
      d = origin
        ? {
            where: describeOrigin(origin, ''),
            area: areaOf(origin.source),
            ours: packageOf(origin.source) === null,
          }
        : {
            where: `${frame.functionName || '(anonymous)'} ${path.basename(frame.url)}:${frame.lineNumber + 1}`,
            area: 'other JS',
            ours: false,
          };
    }
    described.set(id, d);
    return d;
  };
  const byWhere = new Map<string, number>();
  const byArea = new Map<string, number>();
  const oursInclusive = new Map<string, number>();
  let busyUs = 0;
  let jsUs = 0;
  let harnessUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byNode.get(id)!.callFrame;
    const name = frame.functionName;
    if (name === '(idle)' || name === '(root)') continue;
    // Script without a URL is Playwright's injected code (natives have no line): not the app's time.
    if (frame.url === '' && frame.lineNumber >= 0) {
      harnessUs += us;
      continue;
    }
    busyUs += us;
    if (name !== '(program)' && name !== '(garbage collector)') jsUs += us;
    const d = describe(id);
    byWhere.set(d.where, (byWhere.get(d.where) ?? 0) + us);
    byArea.set(d.area, (byArea.get(d.area) ?? 0) + us);
    // Inclusive: every distinct function of ours on the stack gets the sample.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      if (byNode.get(at)!.callFrame.url === '') continue;
      const up = describe(at);
      if (!up.ours || seen.has(up.where)) continue;
      seen.add(up.where);
      oursInclusive.set(up.where, (oursInclusive.get(up.where) ?? 0) + us);
    }
  }
  const entries = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .map(([where, us]) => ({ where, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    seconds,
    pushes,
    busyMs: busyUs / 1000,
    jsMs: jsUs / 1000,
    harnessMs: harnessUs / 1000,
    byArea: entries(byArea),
    top: entries(byWhere).slice(0, 12),
    ours: entries(oursInclusive).slice(0, 12),
  };
}

const LIVE_CARD =
  '[data-testid="ups-card"][data-connection="connected"][data-stale="false"] .raw-status';

/**
 * The profiles run in pages without the instrumentation (its hooks would show up in them): a fresh
 * context with nothing injected, pushes counted from the DevTools protocol's WebSocket frames.
 */
async function plainPage(
  browser: Browser,
): Promise<{ page: Page; cdp: CDPSession; pushes: () => number }> {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const cdp = await context.newCDPSession(page);
  let pushes = 0;
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketFrameReceived', (event) => {
    if (event.response.payloadData.startsWith('{"push":"app:snapshot"')) pushes++;
  });
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
  return { page, cdp, pushes: () => pushes };
}

/** One more page load (not counted in the figures above) under the profiler, until the live card is shown. */
async function profileLoad(browser: Browser, url: string): Promise<ProfileResult> {
  const { page, cdp } = await plainPage(browser);
  try {
    // A bare observer instead of Playwright's selector polling, which would show up in the profile.
    let seen: () => void = () => undefined;
    const live = new Promise<void>((resolve, reject) => {
      seen = resolve;
      setTimeout(() => reject(new Error('no live card within 30 s')), 30_000).unref();
    });
    await page.exposeBinding('__benchProfiledLive', () => seen());
    await page.addInitScript(`new MutationObserver((_, observer) => {
      if (document.querySelector(${JSON.stringify(LIVE_CARD)})) { observer.disconnect(); window.__benchProfiledLive(); }
    }).observe(document, { subtree: true, childList: true, attributes: true });`);
    const started = performance.now();
    await cdp.send('Profiler.start');
    await page.goto(url, { waitUntil: 'commit' });
    await live;
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    return summarizeProfile(profile, (performance.now() - started) / 1000, 0);
  } finally {
    await page.context().close();
  }
}

async function profileDetail(
  browser: Browser,
  url: string,
  rig: Rig,
  name: string,
  seconds: number,
): Promise<ProfileResult> {
  const { page, cdp, pushes } = await plainPage(browser);
  try {
    await page.goto(url);
    await page.waitForSelector(LIVE_CARD, { timeout: 30_000 });
    await page.evaluate(`location.hash = '#/ups/${MASTER_ID}/${name}'`);
    await page
      .locator('[data-testid="history-panel"] [data-testid^="chart-"] canvas')
      .nth(3)
      .waitFor({ timeout: 30_000 });
    await driveFlips(rig, name, 3); // warm-up, as for the measured views
    await sleep(1000);
    const before = pushes();
    await cdp.send('Profiler.start');
    await driveFlips(rig, name, seconds);
    await sleep(500);
    const { profile } = (await cdp.send('Profiler.stop')) as { profile: CpuProfile };
    return summarizeProfile(profile, seconds, pushes() - before);
  } finally {
    await page.context().close();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const fmtStats = (s: Stats, digits = 1) => {
  const f = digits === 0 ? f0 : f1;
  return `p50 ${f(s.p50)} · p95 ${f(s.p95)} · max ${f(s.max)} ms (n=${s.count})`;
};

function printUpdate(r: UpdateResult, indent = '  '): string[] {
  const lines = [
    `${indent}${r.label}: ${r.pushes} snapshot pushes (${(r.pushBytes / 1024).toFixed(1)} KB each) in ${r.seconds} s, ${r.flips} status flips on the rig, ${r.statusChanges} pushes changed a level on screen`,
  ];
  if (r.chartsOpenMs !== undefined && Number.isFinite(r.chartsOpenMs)) {
    const first =
      r.chartsFirstOpenMs === undefined
        ? ''
        : ` median (the first open, which also loads the UpsDetail chunk: ${f0(r.chartsFirstOpenMs)} ms)`;
    lines.push(
      `${indent}  open the page → 4 charts drawn (24 h): ${f0(r.chartsOpenMs)} ms${first}${r.chartWidthPx ? `, chart ${f0(r.chartWidthPx)} px wide ≈ ${Math.min(2000, Math.round(r.chartWidthPx))} points per series` : ''}`,
    );
  }
  lines.push(
    `${indent}  update cost, main thread (script + frame rendering): ${fmtStats(r.costMs)}   [target < ${FRAME_TARGET_MS} ms] · ${r.overTarget} of ${r.costMs.count} over ${FRAME_TARGET_MS} ms`,
    `${indent}    pushes that changed a level on screen: p50 ${f1(r.costChangedMs.p50)} · p95 ${f1(r.costChangedMs.p95)} ms (n=${r.costChangedMs.count}); the others: p50 ${f1(r.costUnchangedMs.p50)} · p95 ${f1(r.costUnchangedMs.p95)} ms (n=${r.costUnchangedMs.count})`,
    `${indent}    message handler (JSON parse, zod validation, store): p50 ${f1(r.handlerMs.p50)} · p95 ${f1(r.handlerMs.p95)} ms; of which document.title = …: p50 ${f1(r.titleMs.p50)} · p95 ${f1(r.titleMs.p95)} ms (title changed on ${r.titleChanges} of ${r.pushes} pushes, ${f0(r.titleLength)} characters)`,
    `${indent}    React render + commit (microtask after the handler):  p50 ${f1(r.reactMs.p50)} · p95 ${f1(r.reactMs.p95)} ms`,
    `${indent}    next frame (rAF callbacks, style, layout, paint):     p50 ${f1(r.renderingMs.p50)} · p95 ${f1(r.renderingMs.p95)} ms`,
    `${indent}  frame interval carrying the update (rAF→rAF; vsync ${f1(r.vsyncMs)} ms): ${fmtStats(r.frameIntervalMs)} · ${r.missedVsync} missed a vsync (> ${f1(r.vsyncMs * MISSED_VSYNC_FACTOR)} ms)`,
    `${indent}  push arrival → painted: ${fmtStats(r.latencyMs)}`,
    `${indent}  other frames: ${r.idleMissedVsync} of ${r.idleFrames} missed a vsync · long animation frames (≥ 50 ms): ${r.longFrames.count}${r.longFrames.count ? ` (max ${f0(r.longFrames.maxMs)} ms)` : ''} · long tasks: ${r.longTasks}`,
  );
  for (const s of r.longFrames.worstScripts) lines.push(`${indent}    long frame script: ${s}`);
  if (r.deferredRenders > 0)
    lines.push(
      `${indent}  note: on ${r.deferredRenders} pushes React rendered after the microtask, so their cost above misses that render`,
    );
  return lines;
}

function printProfile(p: ProfileResult): string[] {
  const share = (e: ProfileEntry) =>
    `${f1(e.selfMs).padStart(7)} ms ${(e.share * 100).toFixed(1).padStart(5)} %  ${e.where}`;
  return [
    `  main thread busy ${f0(p.busyMs)} ms, of which JavaScript ${f0(p.jsMs)} ms ("(program)" is Blink's own work — parsing, style, layout, paint — plus the profiler's overhead)${p.harnessMs >= 1 ? `; Playwright's own scripts (${f0(p.harnessMs)} ms) left out` : ''}`,
    `  by area: ${p.byArea
      .slice(0, 8)
      .map((a) => `${a.where} ${f0(a.selfMs)} ms (${(a.share * 100).toFixed(0)} %)`)
      .join(' · ')}`,
    '  top self time:',
    ...p.top.map((e) => `  ${share(e)}`),
    '  our functions including what they call (components, handlers):',
    ...p.ours.map((e) => `  ${share(e)}`),
  ];
}

function print(r: RendererBenchResult): void {
  const fs1 = r.firstStatus;
  const lines = [
    `renderer in ${r.chromium} (headless, ${VIEWPORT.width}×${VIEWPORT.height}), real core via the browser bridge, upsd rig with ${UPS_NAMES.length} UPSes`,
    `  host: ${r.cpus} CPUs, load average ${r.loadAverage.toFixed(1)} at start, ${r.loadAverageEnd.toFixed(1)} at the end (other work on the host shows up in these figures)`,
    `  history: ${r.historyRows.toLocaleString('en-US')} samples (24 h × 1 s × ${UPS_NAMES.length} UPSes) written in ${(r.historyFillMs / 1000).toFixed(1)} s`,
    '',
    `page load → first live status (${fs1.loads} loads, fresh context each, dashboard, core already connected):`,
    `  in page, navigation start → live card painted: ${fmtStats(fs1.paintedMs, 0)}   [target < ${FIRST_STATUS_TARGET_MS} ms]`,
    `  in page, navigation start → live card in DOM:  ${fmtStats(fs1.liveMs, 0)}`,
    `  wall, page.goto() → live card painted:         ${fmtStats(fs1.wallMs, 0)}`,
    `  milestones (median ms after navigation start): ${fs1.milestones.map((m) => `${m.name} ${f0(m.medianMs)}`).join(' · ')}`,
    `  long animation frames (≥ 50 ms) during loads: ${fs1.longFrames.count}${fs1.longFrames.count ? ` (max ${f0(fs1.longFrames.maxMs)} ms)` : ''}`,
    ...fs1.longFrames.worstScripts.map((s) => `    long frame script: ${s}`),
    '',
    'status updates (one SET VAR ups.status every 500 ms; every push carries all 4 UPSes):',
    ...printUpdate(r.dashboard),
    ...printUpdate(r.detailsCombined),
    ...r.details.flatMap((d) => printUpdate(d, '    ')),
  ];
  if (r.pageErrors.length > 0)
    lines.push('', `page errors: ${r.pageErrors.length} (first: ${r.pageErrors[0]})`);
  if (r.loadProfile) {
    lines.push(
      '',
      `where a page load's time goes: CPU profile of one more load (no instrumentation) until the live card was shown (${f0(r.loadProfile.seconds * 1000)} ms wall under the profiler):`,
      ...printProfile(r.loadProfile),
    );
  }
  if (r.updateProfile) {
    const p = r.updateProfile;
    lines.push(
      '',
      `where an update's time goes: CPU profile of a detail page (24 h charts, no instrumentation) under the same flips, ${p.seconds} s, ${p.pushes} pushes (plus the page's 1 s clock tick; read the shares — the profiler inflates absolute times):`,
      ...printProfile(p),
    );
  }
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// The benchmark

export async function benchRenderer(): Promise<RendererBenchResult> {
  const warning = checkBuild([CLI, INDEX_HTML], 'renderer');
  if (warning) console.log(`renderer: warning: ${warning}`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH)`);
  const loads = envInt('NUT_BENCH_RENDERER_LOADS', 10, 1);
  const seconds = envInt('NUT_BENCH_RENDERER_SECONDS', 20, 2);
  const profileSeconds = envInt('NUT_BENCH_RENDERER_PROFILE_SECONDS', 10, 0);
  const loadAverage = os.loadavg()[0]!;
  pageErrors.length = 0;

  const cleanups: { what: string; run: () => Promise<unknown> }[] = [];
  try {
    // The rig (cold drivers: no warm set is left behind) and the data folder.
    const rig = await startUpsdRig({ upses: UPSES, prewarm: false });
    cleanups.push({ what: 'upsd rig', run: () => rig.stop() });
    // The rig's temp-dir bookkeeping: also removed on SIGINT/SIGTERM, and swept on a later run after a hard kill.
    const dataDir = await makeTempDir('renderer-bench');
    cleanups.push({ what: `temp dir ${dataDir}`, run: () => removeTempDir(dataDir) });

    const config: ConfigInput = {
      masters: [
        {
          id: MASTER_ID,
          label: 'Bench rig',
          preset: 'generic',
          host: rig.host,
          port: rig.port,
          ups: UPS_NAMES.map((name) => ({
            name,
            role: 'secondary',
            username: USERNAME,
            password: { source: 'env', name: PASSWORD_ENV },
          })),
        },
      ],
      // Secondaries that never run a shutdown command, whatever happens on the rig.
      shutdown: { dryRun: true },
      notifications: { desktop: false },
      // 1 s samples, like the pre-filled history.
      history: { sampleSeconds: 1 },
    };
    const configPath = path.join(dataDir, 'config.json');
    await fsp.writeFile(configPath, JSON.stringify(config, null, 2));

    // 24 h of 1 s samples ending now, closed before the web process opens the file.
    console.log(`renderer: writing 24 h of 1 s history for ${UPS_NAMES.length} UPSes…`);
    const fill = prefillHistory(dataDir, Math.floor(Date.now() / 1000) * 1000 - 1000);

    const web = await startWebProcess({ configPath, dataDir, env: { [PASSWORD_ENV]: PASSWORD } });
    cleanups.push({ what: 'web process', run: () => web.stop() });
    await waitAllConnected(web);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    cleanups.push({ what: 'Chromium', run: () => browser.close() });

    console.log(`renderer: ${loads + 1} page loads…`);
    const firstStatus = await measureFirstStatus(browser, web.url, loads);

    console.log(
      `renderer: status updates, dashboard then each UPS's 24 h detail page, ${seconds} s each…`,
    );
    const page = await newPage(browser);
    await page.goto(web.url);
    await waitLive(page);
    await driveFlips(rig, null, 3); // warm-up: the update path's first runs are interpreted, not JIT-compiled
    await sleep(1000);
    const dashboard = await recordUpdates(
      page,
      rig,
      null,
      seconds,
      'dashboard, 4 live cards (no charts)',
    );

    const details: UpdateResult[] = [];
    const figures: PushFigures[] = [];
    const opens: number[] = [];
    let chartWidthPx = 0;
    for (const name of UPS_NAMES) {
      const opened = await openDetail(page, name);
      opens.push(opened.ms);
      chartWidthPx = opened.width;
      await sleep(1500); // let the chart build and its follow-up work settle
      await page.evaluate('window.__bench.startRecording()');
      const flips = await driveFlips(rig, name, seconds);
      await sleep(1000);
      const part = measurePushes(await page.evaluate<Recording>('window.__bench.stopRecording()'));
      figures.push(part);
      details.push({
        ...toResult(`detail ${monitorIdOf(name)}, 24 h charts`, seconds, flips, [part]),
        chartsOpenMs: opened.ms,
        chartWidthPx,
      });
    }
    const detailsCombined: UpdateResult = {
      ...toResult(
        `detail pages, 24 h charts, all ${UPS_NAMES.length} UPSes in turn`,
        seconds * UPS_NAMES.length,
        details.reduce((s, d) => s + d.flips, 0),
        figures,
      ),
      chartsOpenMs: median(opens),
      chartsFirstOpenMs: opens[0],
      chartWidthPx,
    };

    let loadProfile: ProfileResult | null = null;
    let updateProfile: ProfileResult | null = null;
    if (profileSeconds > 0) {
      console.log(
        `renderer: CPU profiles of a page load and of the detail page (${profileSeconds} s)…`,
      );
      // The figures above stand without them: a profile that fails is reported, not fatal.
      const tryProfile = async (what: string, run: () => Promise<ProfileResult>) =>
        run().catch((error: unknown) => {
          console.error(
            `renderer: the ${what} profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          return null;
        });
      loadProfile = await tryProfile('page load', () => profileLoad(browser, web.url));
      updateProfile = await tryProfile('detail page', () =>
        profileDetail(browser, web.url, rig, UPS_NAMES[0]!, profileSeconds),
      );
    }

    const result: RendererBenchResult = {
      cpus: os.cpus().length,
      loadAverage,
      loadAverageEnd: os.loadavg()[0]!,
      chromium: `Chromium ${browser.version()}`,
      historyRows: fill.rows,
      historyFillMs: fill.ms,
      firstStatus,
      dashboard,
      details,
      detailsCombined,
      pageErrors: [...pageErrors],
      loadProfile,
      updateProfile,
    };
    print(result);
    return result;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        console.error(
          `renderer: could not stop the ${cleanup.what}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
