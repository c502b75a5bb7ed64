/**
 * Draws every icon the app ships, with no native dependencies: a tiny vector rasteriser
 * (supersampled coverage), a PNG encoder on node:zlib, and ICO/ICNS containers.
 *
 *   npx tsx main/tools/generate-icons.ts          # (re)write assets/
 *   npx tsx main/tools/generate-icons.ts --check  # exit 1 when assets/ is out of date
 *
 * Output (names from main/electron/tray-icons.ts, so the tray and the files cannot drift):
 * - assets/tray/linux/<name>.png (22 px) and <name>@2x.png (44 px), colour;
 * - assets/tray/windows/<name>.ico (16, 20, 24, 32, 48 px), colour;
 * - assets/tray/macos/<name>Template.png (16 px) and <name>Template@2x.png (32 px), black + alpha;
 * - assets/app/icon.png (512 px), icon.ico (16–256 px), icon.icns (16–1024 px).
 *
 * Tray icon: a battery whose fill shows the charge bucket (hatched when unknown), in the
 * state's colour, with a glyph for the state: bolt (on line), none (on battery), `!` (low
 * battery), power symbol (shutting down / FSD), `×` (no data), `…` (not configured).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';
import type { TrayLevel } from '../../shared/snapshot';
import {
  allTrayIconNames,
  type ChargeBucket,
  CHARGE_BUCKETS,
  isBatteryLevel,
  TRAY_LEVELS,
} from '../electron/tray-icons';

// ---------------------------------------------------------------------------------------------
// PNG

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** 8-bit RGBA, non-interlaced, filter 0 on every row. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4)
    throw new Error(`encodePng: expected ${width * height * 4} bytes, got ${rgba.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

/** Decodes 8-bit RGBA non-interlaced PNGs (any filter) — enough to verify our own files. */
export function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    if (crc !== crc32(png.subarray(offset + 4, offset + 8 + length)))
      throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 6 || data[12] !== 0)
        throw new Error('only 8-bit RGBA non-interlaced PNGs are supported');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? out[y * stride + x - 4]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { width, height, rgba: out };
}

// ---------------------------------------------------------------------------------------------
// ICO and ICNS

/** A 32-bit BGRA DIB icon image (with its AND mask), the format every Windows version reads. */
function icoBitmap(size: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR + AND bitmaps
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(0, 16); // BI_RGB
  const pixels = Buffer.alloc(size * size * 4);
  const maskStride = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskStride * size);
  for (let y = 0; y < size; y++) {
    const srcRow = size - 1 - y; // bottom-up
    for (let x = 0; x < size; x++) {
      const s = (srcRow * size + x) * 4;
      const d = (y * size + x) * 4;
      pixels[d] = rgba[s + 2]!;
      pixels[d + 1] = rgba[s + 1]!;
      pixels[d + 2] = rgba[s]!;
      pixels[d + 3] = rgba[s + 3]!;
      if (rgba[s + 3] === 0) mask[y * maskStride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  header.writeUInt32LE(pixels.length + mask.length, 20);
  return Buffer.concat([header, pixels, mask]);
}

/** ICO with BMP entries up to 64 px and a PNG entry above (as Windows' own icons do). */
export function encodeIco(images: ReadonlyArray<{ size: number; rgba: Uint8Array }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(images.length, 4);
  const bodies = images.map(({ size, rgba }) =>
    size > 64 ? encodePng(size, size, rgba) : icoBitmap(size, rgba),
  );
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  images.forEach(({ size }, i) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size;
    entry[1] = size >= 256 ? 0 : size;
    entry[2] = 0; // no palette
    entry[3] = 0;
    entry.writeUInt16LE(1, 4); // planes
    entry.writeUInt16LE(32, 6); // bpp
    entry.writeUInt32LE(bodies[i]!.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += bodies[i]!.length;
    entries.push(entry);
  });
  return Buffer.concat([header, ...entries, ...bodies]);
}

/** ICNS with PNG payloads (macOS 10.7+). */
export const ICNS_TYPES: ReadonlyArray<{ type: string; size: number }> = [
  { type: 'icp4', size: 16 },
  { type: 'icp5', size: 32 },
  { type: 'ic11', size: 32 }, // 16@2x
  { type: 'ic12', size: 64 }, // 32@2x
  { type: 'ic07', size: 128 },
  { type: 'ic13', size: 256 }, // 128@2x
  { type: 'ic08', size: 256 },
  { type: 'ic14', size: 512 }, // 256@2x
  { type: 'ic09', size: 512 },
  { type: 'ic10', size: 1024 }, // 512@2x
];

export function encodeIcns(pngBySize: ReadonlyMap<number, Buffer>): Buffer {
  const parts = ICNS_TYPES.map(({ type, size }) => {
    const png = pngBySize.get(size);
    if (!png) throw new Error(`encodeIcns: no ${size} px image`);
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(body.length + 8, 4);
  return Buffer.concat([head, body]);
}

// ---------------------------------------------------------------------------------------------
// A tiny rasteriser: shapes in a 32-unit design grid, rendered at any size with supersampling.

type Point = readonly [number, number];
type Rgba = readonly [number, number, number, number];

export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; r?: number }
  | { kind: 'circle'; cx: number; cy: number; r: number }
  | { kind: 'poly'; points: readonly Point[] }
  | { kind: 'union'; parts: readonly Shape[] }
  | { kind: 'diff'; a: Shape; b: Shape }
  | { kind: 'intersect'; a: Shape; b: Shape }
  /** Diagonal stripes: inside when (x + y) mod period < period × duty. Unbounded: intersect it. */
  | { kind: 'stripes'; period: number; duty: number }
  /** `shape` grown by `by` units (approximate: sampled on a ring of offsets). */
  | { kind: 'dilate'; shape: Shape; by: number };

type Paint = Rgba | { linear: { from: Point; to: Point; stops: readonly [Rgba, Rgba] } };
export type Op = { paint: Shape; color: Paint } | { erase: Shape };

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const UNBOUNDED: Box = { x0: -Infinity, y0: -Infinity, x1: Infinity, y1: Infinity };

const DILATE_OFFSETS = Array.from(
  { length: 16 },
  (_, i) => [Math.cos((i * Math.PI) / 8), Math.sin((i * Math.PI) / 8)] as const,
);

function inside(shape: Shape, x: number, y: number): boolean {
  switch (shape.kind) {
    case 'rect': {
      const r = Math.min(shape.r ?? 0, shape.w / 2, shape.h / 2);
      if (x < shape.x || x > shape.x + shape.w || y < shape.y || y > shape.y + shape.h)
        return false;
      if (r <= 0) return true;
      const dx = Math.max(shape.x + r - x, 0, x - (shape.x + shape.w - r));
      const dy = Math.max(shape.y + r - y, 0, y - (shape.y + shape.h - r));
      return dx * dx + dy * dy <= r * r;
    }
    case 'circle':
      return (x - shape.cx) ** 2 + (y - shape.cy) ** 2 <= shape.r * shape.r;
    case 'poly': {
      let hit = false;
      const pts = shape.points;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [xi, yi] = pts[i]!;
        const [xj, yj] = pts[j]!;
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
      }
      return hit;
    }
    case 'union':
      return shape.parts.some((part) => inside(part, x, y));
    case 'diff':
      return inside(shape.a, x, y) && !inside(shape.b, x, y);
    case 'intersect':
      return inside(shape.a, x, y) && inside(shape.b, x, y);
    case 'stripes': {
      const t = (((x + y) % shape.period) + shape.period) % shape.period;
      return t < shape.period * shape.duty;
    }
    case 'dilate':
      return (
        inside(shape.shape, x, y) ||
        DILATE_OFFSETS.some(([dx, dy]) => inside(shape.shape, x + dx * shape.by, y + dy * shape.by))
      );
  }
}

function bounds(shape: Shape): Box {
  switch (shape.kind) {
    case 'rect':
      return { x0: shape.x, y0: shape.y, x1: shape.x + shape.w, y1: shape.y + shape.h };
    case 'circle':
      return {
        x0: shape.cx - shape.r,
        y0: shape.cy - shape.r,
        x1: shape.cx + shape.r,
        y1: shape.cy + shape.r,
      };
    case 'poly':
      return {
        x0: Math.min(...shape.points.map((p) => p[0])),
        y0: Math.min(...shape.points.map((p) => p[1])),
        x1: Math.max(...shape.points.map((p) => p[0])),
        y1: Math.max(...shape.points.map((p) => p[1])),
      };
    case 'union':
      return shape.parts.map(bounds).reduce((a, b) => ({
        x0: Math.min(a.x0, b.x0),
        y0: Math.min(a.y0, b.y0),
        x1: Math.max(a.x1, b.x1),
        y1: Math.max(a.y1, b.y1),
      }));
    case 'diff':
      return bounds(shape.a);
    case 'intersect': {
      const a = bounds(shape.a);
      const b = bounds(shape.b);
      return {
        x0: Math.max(a.x0, b.x0),
        y0: Math.max(a.y0, b.y0),
        x1: Math.min(a.x1, b.x1),
        y1: Math.min(a.y1, b.y1),
      };
    }
    case 'stripes':
      return UNBOUNDED;
    case 'dilate': {
      const b = bounds(shape.shape);
      return { x0: b.x0 - shape.by, y0: b.y0 - shape.by, x1: b.x1 + shape.by, y1: b.y1 + shape.by };
    }
  }
}

function colorAt(paint: Paint, x: number, y: number): Rgba {
  if (!('linear' in paint)) return paint;
  const { from, to, stops } = paint.linear;
  const vx = to[0] - from[0];
  const vy = to[1] - from[1];
  const t = Math.min(
    1,
    Math.max(0, ((x - from[0]) * vx + (y - from[1]) * vy) / (vx * vx + vy * vy)),
  );
  const [a, b] = stops;
  return [0, 1, 2, 3].map((i) => a[i]! + (b[i]! - a[i]!) * t) as unknown as Rgba;
}

/** Renders ops (32-unit grid) to `size`×`size` straight RGBA. */
export function rasterize(
  ops: readonly Op[],
  size: number,
  grid = 32,
  samples = size >= 256 ? 3 : 5,
): Uint8Array {
  const n = size * size;
  const r = new Float64Array(n);
  const g = new Float64Array(n);
  const b = new Float64Array(n);
  const a = new Float64Array(n);
  const scale = grid / size;
  const offsets: number[] = [];
  for (let i = 0; i < samples; i++) offsets.push((i + 0.5) / samples);
  for (const op of ops) {
    const shape = 'paint' in op ? op.paint : op.erase;
    const box = bounds(shape);
    const px0 = Math.max(0, Math.floor(box.x0 / scale));
    const py0 = Math.max(0, Math.floor(box.y0 / scale));
    const px1 = Math.min(size - 1, Math.ceil(box.x1 / scale));
    const py1 = Math.min(size - 1, Math.ceil(box.y1 / scale));
    for (let py = py0; py <= py1; py++) {
      for (let px = px0; px <= px1; px++) {
        let hits = 0;
        for (const oy of offsets)
          for (const ox of offsets) if (inside(shape, (px + ox) * scale, (py + oy) * scale)) hits++;
        if (hits === 0) continue;
        const coverage = hits / (samples * samples);
        const i = py * size + px;
        if ('erase' in op) {
          a[i] = a[i]! * (1 - coverage);
          continue;
        }
        const [cr, cg, cb, ca] = colorAt(op.color, (px + 0.5) * scale, (py + 0.5) * scale);
        const sa = ca * coverage;
        const da = a[i]!;
        const oa = sa + da * (1 - sa);
        if (oa <= 0) continue;
        r[i] = (cr * sa + r[i]! * da * (1 - sa)) / oa;
        g[i] = (cg * sa + g[i]! * da * (1 - sa)) / oa;
        b[i] = (cb * sa + b[i]! * da * (1 - sa)) / oa;
        a[i] = oa;
      }
    }
  }
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    const alpha = Math.round(a[i]! * 255);
    out[i * 4 + 3] = alpha;
    if (alpha === 0) continue;
    out[i * 4] = Math.round(r[i]!);
    out[i * 4 + 1] = Math.round(g[i]!);
    out[i * 4 + 2] = Math.round(b[i]!);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tray icon drawings

const hex = (value: string, alpha = 1): Rgba => [
  parseInt(value.slice(1, 3), 16),
  parseInt(value.slice(3, 5), 16),
  parseInt(value.slice(5, 7), 16),
  alpha,
];

export const LEVEL_COLORS: Record<TrayLevel, Rgba> = {
  online: hex('#2EA84F'),
  'on-battery': hex('#F29A0B'),
  'low-battery': hex('#E5402F'),
  'shutting-down': hex('#C8261B'),
  'comm-lost': hex('#9AA0A6'),
  'not-configured': hex('#9AA0A6'),
};

const BLACK = hex('#000000');
const WHITE = hex('#FFFFFF');
const HALO = hex('#161616', 0.9);

// Battery in the 32-unit grid: body 2..27 × 8.5..23.5, nub 27.6..30.4.
const BODY = { x: 1.5, y: 8.5, w: 26, h: 15, r: 3 } as const;
const STROKE = 2.4;
const BODY_CX = BODY.x + BODY.w / 2;
const BODY_CY = BODY.y + BODY.h / 2;
const INNER = {
  x: BODY.x + STROKE + 1.1,
  y: BODY.y + STROKE + 1.1,
  w: BODY.w - 2 * (STROKE + 1.1),
  h: BODY.h - 2 * (STROKE + 1.1),
};

function batteryShapes(): { outline: Shape; nub: Shape } {
  const outer: Shape = { kind: 'rect', ...BODY };
  const inner: Shape = {
    kind: 'rect',
    x: BODY.x + STROKE,
    y: BODY.y + STROKE,
    w: BODY.w - 2 * STROKE,
    h: BODY.h - 2 * STROKE,
    r: BODY.r - STROKE / 2,
  };
  return {
    outline: { kind: 'diff', a: outer, b: inner },
    nub: { kind: 'rect', x: BODY.x + BODY.w + 0.6, y: BODY_CY - 3.2, w: 2.6, h: 6.4, r: 1.1 },
  };
}

function fillShape(bucket: ChargeBucket): Shape | null {
  if (bucket === 'unknown')
    return {
      kind: 'intersect',
      a: { kind: 'rect', ...INNER, r: 0.8 },
      b: { kind: 'stripes', period: 4, duty: 0.5 },
    };
  const pct = Number(bucket);
  if (pct === 0) return { kind: 'rect', x: INNER.x, y: INNER.y, w: 1.6, h: INNER.h, r: 0.6 }; // a sliver: "empty", not "missing"
  return { kind: 'rect', x: INNER.x, y: INNER.y, w: (INNER.w * pct) / 100, h: INNER.h, r: 0.8 };
}

/** A bar of width `t` from `a` to `b` (square ends). */
function thickLine(a: Point, b: Point, t: number): Shape {
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  const nx = (-(b[1] - a[1]) / len) * (t / 2);
  const ny = ((b[0] - a[0]) / len) * (t / 2);
  return {
    kind: 'poly',
    points: [
      [a[0] + nx, a[1] + ny],
      [b[0] + nx, b[1] + ny],
      [b[0] - nx, b[1] - ny],
      [a[0] - nx, a[1] - ny],
    ],
  };
}

function glyph(level: TrayLevel): Shape | null {
  const cx = BODY_CX;
  const cy = BODY_CY;
  switch (level) {
    case 'online':
      // Lightning bolt (on line / charging), about the battery's height.
      return {
        kind: 'poly',
        points: [
          [cx + 1.6, cy - 8],
          [cx - 4.6, cy + 1.2],
          [cx - 0.4, cy + 1.2],
          [cx - 1.8, cy + 8],
          [cx + 4.6, cy - 1.4],
          [cx + 0.4, cy - 1.4],
        ],
      };
    case 'on-battery':
      return null;
    case 'low-battery':
      return {
        kind: 'union',
        parts: [
          { kind: 'rect', x: cx - 1.6, y: cy - 7, w: 3.2, h: 8.6, r: 1.4 },
          { kind: 'circle', cx, cy: cy + 5, r: 1.9 },
        ],
      };
    case 'shutting-down': {
      const ring: Shape = {
        kind: 'diff',
        a: { kind: 'circle', cx, cy: cy + 0.6, r: 6.2 },
        b: { kind: 'circle', cx, cy: cy + 0.6, r: 3.8 },
      };
      const gap: Shape = {
        kind: 'poly',
        points: [
          [cx, cy + 0.6],
          [cx - 4.6, cy - 8],
          [cx + 4.6, cy - 8],
        ],
      };
      return {
        kind: 'union',
        parts: [
          { kind: 'diff', a: ring, b: gap },
          { kind: 'rect', x: cx - 1.25, y: cy - 7.4, w: 2.5, h: 7.8, r: 1.2 },
        ],
      };
    }
    case 'comm-lost': {
      const d = 4.2;
      return {
        kind: 'union',
        parts: [
          thickLine([cx - d, cy - d], [cx + d, cy + d], 3),
          thickLine([cx + d, cy - d], [cx - d, cy + d], 3),
        ],
      };
    }
    case 'not-configured':
      return {
        kind: 'union',
        parts: [-5.2, 0, 5.2].map((dx): Shape => ({ kind: 'circle', cx: cx + dx, cy, r: 1.8 })),
      };
  }
}

export type TrayStyle = 'color' | 'template';

/** The drawing of one tray icon. */
export function trayIconOps(level: TrayLevel, bucket: ChargeBucket, style: TrayStyle): Op[] {
  const color = style === 'template' ? BLACK : LEVEL_COLORS[level];
  const { outline, nub } = batteryShapes();
  const ops: Op[] = [
    { paint: outline, color },
    { paint: nub, color },
  ];
  const fill = isBatteryLevel(level) ? fillShape(bucket) : null;
  if (fill) ops.push({ paint: fill, color });
  const mark = glyph(level);
  if (mark) {
    const halo: Shape = { kind: 'dilate', shape: mark, by: 1.3 };
    if (style === 'template') ops.push({ erase: halo }, { paint: mark, color: BLACK });
    else ops.push({ paint: halo, color: HALO }, { paint: mark, color: WHITE });
  }
  return ops;
}

export function renderTrayIcon(name: string, style: TrayStyle, size: number): Uint8Array {
  const { level, bucket } = parseTrayIconName(name);
  return rasterize(trayIconOps(level, bucket, style), size);
}

export function parseTrayIconName(name: string): { level: TrayLevel; bucket: ChargeBucket } {
  for (const level of TRAY_LEVELS) {
    if (name === level && !isBatteryLevel(level)) return { level, bucket: 'unknown' };
    if (name.startsWith(`${level}-`) && isBatteryLevel(level)) {
      const bucket = name.slice(level.length + 1) as ChargeBucket;
      if ((CHARGE_BUCKETS as readonly string[]).includes(bucket)) return { level, bucket };
    }
  }
  throw new Error(`unknown tray icon name ${name}`);
}

// ---------------------------------------------------------------------------------------------
// App icon

export function appIconOps(): Op[] {
  const { outline, nub } = batteryShapes();
  // Background tile, then the battery scaled into it (0.72 of the grid, centred).
  const k = 0.72;
  const tx = (32 - 32 * k) / 2 - 0.6;
  const ty = (32 - 32 * k) / 2;
  const place = (shape: Shape): Shape => transform(shape, (x, y) => [tx + x * k, ty + y * k]);
  const fill = fillShape('75')!;
  const bolt = glyph('online')!;
  return [
    {
      paint: { kind: 'rect', x: 1.5, y: 1.5, w: 29, h: 29, r: 6.5 },
      color: {
        linear: { from: [16, 1.5], to: [16, 30.5], stops: [hex('#24384F'), hex('#0E1723')] },
      },
    },
    { paint: place(outline), color: hex('#F4F7FA') },
    { paint: place(nub), color: hex('#F4F7FA') },
    { paint: place(fill), color: LEVEL_COLORS.online },
    { paint: place({ kind: 'dilate', shape: bolt, by: 1.7 }), color: hex('#0E1723') },
    { paint: place(bolt), color: hex('#FFFFFF') },
  ];
}

/** Applies a uniform scale + translate (given as a point map) to a shape. */
function transform(shape: Shape, map: (x: number, y: number) => Point): Shape {
  const [ox] = map(0, 0);
  const [ux] = map(1, 0);
  const k = ux - ox;
  switch (shape.kind) {
    case 'rect': {
      const [x, y] = map(shape.x, shape.y);
      return { kind: 'rect', x, y, w: shape.w * k, h: shape.h * k, r: (shape.r ?? 0) * k };
    }
    case 'circle': {
      const [cx, cy] = map(shape.cx, shape.cy);
      return { kind: 'circle', cx, cy, r: shape.r * k };
    }
    case 'poly':
      return { kind: 'poly', points: shape.points.map(([x, y]) => map(x, y)) };
    case 'union':
      return { kind: 'union', parts: shape.parts.map((p) => transform(p, map)) };
    case 'diff':
      return { kind: 'diff', a: transform(shape.a, map), b: transform(shape.b, map) };
    case 'intersect':
      return { kind: 'intersect', a: transform(shape.a, map), b: transform(shape.b, map) };
    case 'stripes':
      return { kind: 'stripes', period: shape.period * k, duty: shape.duty };
    case 'dilate':
      return { kind: 'dilate', shape: transform(shape.shape, map), by: shape.by * k };
  }
}

// ---------------------------------------------------------------------------------------------
// Output

export const LINUX_SIZES = [22, 44] as const;
export const WINDOWS_SIZES = [16, 20, 24, 32, 48] as const;
export const MACOS_SIZES = [16, 32] as const;
export const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;

/** Every generated file: relative path under assets/ → contents. */
export function generateAll(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of allTrayIconNames()) {
    const [l1, l2] = LINUX_SIZES.map((size) =>
      encodePng(size, size, renderTrayIcon(name, 'color', size)),
    );
    files.set(`tray/linux/${name}.png`, l1!);
    files.set(`tray/linux/${name}@2x.png`, l2!);
    files.set(
      `tray/windows/${name}.ico`,
      encodeIco(WINDOWS_SIZES.map((size) => ({ size, rgba: renderTrayIcon(name, 'color', size) }))),
    );
    const [m1, m2] = MACOS_SIZES.map((size) =>
      encodePng(size, size, renderTrayIcon(name, 'template', size)),
    );
    files.set(`tray/macos/${name}Template.png`, m1!);
    files.set(`tray/macos/${name}Template@2x.png`, m2!);
  }
  const appOps = appIconOps();
  const appRgba = new Map<number, Uint8Array>();
  const appAt = (size: number): Uint8Array => {
    let rgba = appRgba.get(size);
    if (!rgba) {
      rgba = rasterize(appOps, size);
      appRgba.set(size, rgba);
    }
    return rgba;
  };
  files.set('app/icon.png', encodePng(512, 512, appAt(512)));
  files.set('app/icon.ico', encodeIco(APP_ICO_SIZES.map((size) => ({ size, rgba: appAt(size) }))));
  const icnsPngs = new Map<number, Buffer>();
  for (const { size } of ICNS_TYPES)
    if (!icnsPngs.has(size)) icnsPngs.set(size, encodePng(size, size, appAt(size)));
  files.set('app/icon.icns', encodeIcns(icnsPngs));
  return files;
}

function main(): void {
  const assetsDir = path.resolve(fileURLToPath(new URL('../../assets', import.meta.url)));
  const check = process.argv.includes('--check');
  const files = generateAll();
  const stale: string[] = [];
  for (const [relative, contents] of files) {
    const file = path.join(assetsDir, relative);
    let current: Buffer | null;
    try {
      current = readFileSync(file);
    } catch {
      current = null;
    }
    if (current?.equals(contents)) continue;
    if (check) {
      stale.push(relative);
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, contents);
  }
  if (check) {
    if (stale.length > 0) {
      console.error(
        `assets/ is out of date (${stale.length} files), e.g. ${stale.slice(0, 5).join(', ')}. Run: npx tsx main/tools/generate-icons.ts`,
      );
      process.exit(1);
    }
    console.log(`assets/: ${files.size} icon files up to date`);
  } else {
    console.log(`assets/: wrote ${files.size} icon files`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  main();
