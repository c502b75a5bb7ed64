import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../testing/electron-mock'));

import { PNG } from 'pngjs';
import {
  APP_ICO_SIZES,
  generateAll,
  ICNS_TYPES,
  LINUX_SIZES,
  MACOS_SIZES,
  renderPng,
  renderTrayIcon,
  staleAssets,
  traySvg,
  WINDOWS_SIZES,
} from '../tools/generate-icons';
import { snapshot, ups } from './testing/fixtures';
import { trayModel } from './tray';
import { allTrayIconNames, type IconPlatform, trayIconFile, trayIconFiles } from './tray-icons';
import type { UpsSnapshot } from '../../shared/snapshot';

const assetsDir = fileURLToPath(new URL('../../assets', import.meta.url));

/** Straight RGBA of a PNG file (pngjs). */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const { width, height, data } = PNG.sync.read(png);
  return { width, height, rgba: new Uint8Array(data) };
}

interface IcoEntry {
  size: number;
  kind: 'bmp' | 'png';
  data: Buffer;
}

function readIco(file: string): IcoEntry[] {
  const buf = readFileSync(file);
  expect(buf.readUInt16LE(0)).toBe(0);
  expect(buf.readUInt16LE(2)).toBe(1);
  const count = buf.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => {
    const e = 6 + i * 16;
    const size = buf[e] === 0 ? 256 : buf[e]!;
    const data = buf.subarray(
      buf.readUInt32LE(e + 12),
      buf.readUInt32LE(e + 12) + buf.readUInt32LE(e + 8),
    );
    return {
      size,
      kind: data.subarray(0, 4).toString('latin1') === '\x89PNG' ? 'png' : 'bmp',
      data,
    };
  });
}

/** The RGBA of a 32-bit BMP icon entry (bottom-up BGRA). */
function bmpRgba(entry: IcoEntry): Uint8Array {
  const { size, data } = entry;
  expect(data.readUInt32LE(0)).toBe(40);
  expect(data.readInt32LE(8)).toBe(size * 2);
  expect(data.readUInt16LE(14)).toBe(32);
  const out = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const s = 40 + ((size - 1 - y) * size + x) * 4;
      const d = (y * size + x) * 4;
      out[d] = data[s + 2]!;
      out[d + 1] = data[s + 1]!;
      out[d + 2] = data[s]!;
      out[d + 3] = data[s + 3]!;
    }
  return out;
}

describe('tray icon assets', () => {
  it.each(['linux', 'win32', 'darwin'] as IconPlatform[])(
    'every icon the tray can ask for exists for %s',
    (platform) => {
      const missing = trayIconFiles(assetsDir, platform).filter((file) => !existsSync(file));
      expect(missing).toEqual([]);
    },
  );

  it('the tray model only ever names generated icons', () => {
    const levels: UpsSnapshot['level'][] = [
      'online',
      'on-battery',
      'low-battery',
      'shutting-down',
      'comm-lost',
      'unknown',
    ];
    const charges = [null, 0, 10, 30, 55, 80, 100];
    const names = new Set(allTrayIconNames());
    for (const level of levels)
      for (const charge of charges)
        for (const stale of [false, true]) {
          const name = trayModel(snapshot([ups({ level, stale, metrics: { charge } })]), {
            notificationsPaused: false,
          }).iconName;
          expect(names.has(name), name).toBe(true);
        }
    expect(names.has(trayModel(snapshot([]), { notificationsPaused: false }).iconName)).toBe(true);
  });

  it('Linux PNGs are 22 px with a 44 px @2x; macOS templates 16/32 px, black + alpha only', () => {
    for (const name of allTrayIconNames()) {
      const linux = trayIconFile(assetsDir, 'linux', name);
      expect(decodePng(readFileSync(linux)).width).toBe(LINUX_SIZES[0]);
      expect(decodePng(readFileSync(linux.replace('.png', '@2x.png'))).width).toBe(LINUX_SIZES[1]);
      const mac = trayIconFile(assetsDir, 'darwin', name);
      expect(mac.endsWith('Template.png')).toBe(true);
      for (const [file, size] of [
        [mac, MACOS_SIZES[0]],
        [mac.replace('.png', '@2x.png'), MACOS_SIZES[1]],
      ] as const) {
        const img = decodePng(readFileSync(file));
        expect(img.width).toBe(size);
        let opaque = 0;
        let coloured = 0;
        for (let i = 0; i < img.rgba.length; i += 4) {
          if (img.rgba[i + 3]! > 0) opaque++;
          if (img.rgba[i]! + img.rgba[i + 1]! + img.rgba[i + 2]! !== 0) coloured++;
        }
        expect(coloured, file).toBe(0);
        expect(opaque).toBeGreaterThan(size * 2);
      }
    }
  });

  it('Windows .ico files hold 16–48 px 32-bit images', () => {
    for (const name of allTrayIconNames()) {
      const entries = readIco(trayIconFile(assetsDir, 'win32', name));
      expect(entries.map((e) => e.size)).toEqual([...WINDOWS_SIZES]);
      expect(entries.every((e) => e.kind === 'bmp')).toBe(true);
    }
  });

  it('committed files match the SVG sources byte for byte (run `npm run icons` after drawing changes)', async () => {
    const files = await generateAll();
    expect(files.size).toBe(allTrayIconNames().length * 5 + 3);
    expect(staleAssets(files)).toEqual([]);
  });

  it('the 16 px BMP in each .ico is the rendered image, with the AND mask set where it is transparent', () => {
    for (const name of ['online-100', 'low-battery-0', 'comm-lost']) {
      const entry = readIco(trayIconFile(assetsDir, 'win32', name))[0]!;
      const rgba = bmpRgba(entry);
      expect(rgba, name).toEqual(decodePng(renderPng(traySvg(name, 'color'), 16)).rgba);
      const maskStart = 40 + 16 * 16 * 4;
      // Bottom-up rows of 4 bytes; bit 7 of a byte is the leftmost pixel of its eight.
      const maskBit = (x: number, y: number) =>
        (entry.data[maskStart + (15 - y) * 4 + (x >> 3)]! >> (7 - (x & 7))) & 1;
      let checked = 0;
      for (let y = 0; y < 16; y++)
        for (let x = 0; x < 16; x++) {
          const alpha = rgba[(y * 16 + x) * 4 + 3]!;
          if (alpha === 0) expect(maskBit(x, y), `${name} ${x},${y}`).toBe(1);
          if (alpha === 255) expect(maskBit(x, y), `${name} ${x},${y}`).toBe(0);
          checked++;
        }
      expect(checked).toBe(256);
    }
  });

  it('each state has its own colour (no data and not configured share the grey)', () => {
    // The left edge of the battery outline, halfway down, on the 44 px Linux icon.
    const outline = (name: string) => {
      const { rgba, width } = decodePng(
        readFileSync(trayIconFile(assetsDir, 'linux', name).replace('.png', '@2x.png')),
      );
      const i = (22 * width + 3) * 4;
      return [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]].join(',');
    };
    const colours = [
      'online-50',
      'on-battery-50',
      'low-battery-50',
      'shutting-down-50',
      'comm-lost',
    ].map(outline);
    expect(new Set(colours).size).toBe(5);
    for (const c of colours) expect(c.endsWith(',255'), c).toBe(true);
    expect(outline('not-configured')).toBe(outline('comm-lost'));
    expect(outline('online-0')).toBe(outline('online-100'));
  });

  it('each state looks different (also in monochrome templates) and fill grows with charge', () => {
    const template = (name: string) =>
      Buffer.from(renderTrayIcon(name, 'template', 32)).toString('base64');
    const distinct = new Set(allTrayIconNames().map(template));
    expect(distinct.size).toBe(allTrayIconNames().length);
    const ink = (name: string) =>
      renderTrayIcon(name, 'template', 32).reduce((sum, v, i) => (i % 4 === 3 ? sum + v : sum), 0);
    expect(ink('on-battery-0')).toBeLessThan(ink('on-battery-25'));
    expect(ink('on-battery-25')).toBeLessThan(ink('on-battery-50'));
    expect(ink('on-battery-50')).toBeLessThan(ink('on-battery-75'));
    expect(ink('on-battery-75')).toBeLessThan(ink('on-battery-100'));
  });
});

describe('app icon assets', () => {
  it('icon.png is 512 px; icon.ico has 16–256 px (256 as PNG, as electron-builder requires)', () => {
    expect(decodePng(readFileSync(path.join(assetsDir, 'app', 'icon.png'))).width).toBe(512);
    const entries = readIco(path.join(assetsDir, 'app', 'icon.ico'));
    expect(entries.map((e) => e.size)).toEqual([...APP_ICO_SIZES]);
    expect(entries.at(-1)!.kind).toBe('png');
    expect(decodePng(entries.at(-1)!.data).width).toBe(256);
  });

  it('icon.icns is a well-formed PNG-based icns', () => {
    const buf = readFileSync(path.join(assetsDir, 'app', 'icon.icns'));
    expect(buf.toString('ascii', 0, 4)).toBe('icns');
    expect(buf.readUInt32BE(4)).toBe(buf.length);
    const found: Array<[string, number]> = [];
    for (let offset = 8; offset < buf.length;) {
      const type = buf.toString('ascii', offset, offset + 4);
      const length = buf.readUInt32BE(offset + 4);
      found.push([type, decodePng(buf.subarray(offset + 8, offset + length)).width]);
      offset += length;
    }
    expect(found).toEqual(ICNS_TYPES.map((t) => [t.type, t.size]));
  });
});
