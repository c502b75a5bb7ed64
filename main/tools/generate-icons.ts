/**
 * Renders every icon the app ships from the SVG sources in assets/svg/ with resvg
 * (@resvg/resvg-js), and packs them into ICO/ICNS with @shockpkg/icon-encoder.
 *
 *   npm run icons         # (re)write assets/tray and assets/app
 *   npm run icons:check   # exit 1 when they are out of date (the output is byte-for-byte stable)
 *
 * Sources (draw in any SVG editor, 32-unit grid):
 * - assets/svg/tray/<level>.svg, one per tray state, drawn in colour at full charge. For the
 *   levels with a battery fill, the element `<rect id="charge" …/>` is redrawn per charge bucket
 *   (0 % a sliver, unknown hatched with the file's `#hatch` pattern). The macOS template variant
 *   is the same drawing with a style sheet that paints `.state` and `.mark` black and hides `.halo`
 *   (the halo is also cut out of the battery by the `#knockout` mask, so it shows as a gap).
 * - assets/svg/app.svg, the app icon.
 *
 * Output (names from main/electron/tray-icons.ts, so the tray and the files cannot drift):
 * - assets/tray/linux/<name>.png (22 px) and <name>@2x.png (44 px), colour;
 * - assets/tray/windows/<name>.ico (16, 20, 24, 32, 48 px, BMP entries), colour;
 * - assets/tray/macos/<name>Template.png (16 px) and <name>Template@2x.png (32 px), black + alpha;
 * - assets/app/icon.png (512 px), icon.ico (16–256 px, PNG above 64), icon.icns (16–1024 px).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { IconIcns, IconIco } from '@shockpkg/icon-encoder';
import type { TrayLevel } from '../../shared/snapshot';
import {
  allTrayIconNames,
  type ChargeBucket,
  CHARGE_BUCKETS,
  isBatteryLevel,
  TRAY_LEVELS,
} from '../electron/tray-icons';

export const ASSETS_DIR = path.resolve(fileURLToPath(new URL('../../assets', import.meta.url)));

export const LINUX_SIZES = [22, 44] as const;
export const WINDOWS_SIZES = [16, 20, 24, 32, 48] as const;
export const MACOS_SIZES = [16, 32] as const;
export const APP_ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;

/** ICNS entries, all PNG (macOS 10.7+). */
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

export type TrayStyle = 'color' | 'template';

/** Turns a colour tray drawing into a macOS template image (black + alpha). */
const TEMPLATE_CSS = '.state{color:#000}.mark{fill:#000}.halo{display:none}';

function readSource(relative: string): string {
  return readFileSync(path.join(ASSETS_DIR, 'svg', relative), 'utf8');
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

/** Redraws the full-charge `<rect id="charge" …/>` of a tray source for `bucket`. */
function withCharge(svg: string, bucket: ChargeBucket, source: string): string {
  const element = /<rect id="charge"[^>]*\/>/.exec(svg)?.[0];
  if (!element) throw new Error(`${source} has no <rect id="charge" …/> to show the charge with`);
  const attr = (name: string): string => {
    const value = new RegExp(`\\s${name}="([^"]+)"`).exec(element)?.[1];
    if (value === undefined) throw new Error(`${source}: <rect id="charge"> needs ${name}="…"`);
    return value;
  };
  const [x, y, width, height] = ['x', 'y', 'width', 'height'].map(attr);
  const rect = (w: number | string, rx: number | string, fill: string) =>
    `<rect id="charge" x="${x}" y="${y}" width="${w}" height="${height}" rx="${rx}" fill="${fill}"/>`;
  if (bucket === 'unknown') return svg.replace(element, rect(width!, attr('rx'), 'url(#hatch)'));
  const pct = Number(bucket);
  // 0 %: a sliver, so "empty" does not read as "missing".
  const drawn =
    pct === 0
      ? rect(1.6, 0.6, 'currentColor')
      : rect(+((Number(width) * pct) / 100).toFixed(3), attr('rx'), 'currentColor');
  return svg.replace(element, drawn);
}

/** The SVG of one tray icon. */
export function traySvg(name: string, style: TrayStyle): string {
  const { level, bucket } = parseTrayIconName(name);
  const source = `assets/svg/tray/${level}.svg`;
  let svg = readSource(`tray/${level}.svg`);
  if (isBatteryLevel(level)) svg = withCharge(svg, bucket, source);
  if (style === 'template')
    svg = svg.replace(/<svg[^>]*>/, (open) => `${open}<style>${TEMPLATE_CSS}</style>`);
  return svg;
}

export function appSvg(): string {
  return readSource('app.svg');
}

function render(svg: string, size: number) {
  return new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { loadSystemFonts: false },
  }).render();
}

export function renderPng(svg: string, size: number): Buffer {
  return Buffer.from(render(svg, size).asPng());
}

/** Premultiplied RGBA (what resvg renders), row-major. */
export function renderRgba(svg: string, size: number): Uint8Array {
  return new Uint8Array(render(svg, size).pixels);
}

export function renderTrayIcon(name: string, style: TrayStyle, size: number): Uint8Array {
  return renderRgba(traySvg(name, style), size);
}

async function encodeIco(pngs: ReadonlyArray<{ size: number; png: Buffer }>): Promise<Buffer> {
  const ico = new IconIco();
  // BMP entries up to 64 px (what every Windows version reads), PNG above (as electron-builder
  // wants for 256 px).
  for (const { size, png } of pngs) await ico.addFromPng(png, size > 64, true);
  return Buffer.from(ico.encode());
}

async function encodeIcns(pngAt: (size: number) => Buffer): Promise<Buffer> {
  const icns = new IconIcns();
  for (const { type, size } of ICNS_TYPES) await icns.addFromPng(pngAt(size), [type], true);
  return Buffer.from(icns.encode());
}

/** Every generated file: relative path under assets/ → contents. */
export async function generateAll(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of allTrayIconNames()) {
    const color = traySvg(name, 'color');
    const template = traySvg(name, 'template');
    const [l1, l2] = LINUX_SIZES.map((size) => renderPng(color, size));
    files.set(`tray/linux/${name}.png`, l1!);
    files.set(`tray/linux/${name}@2x.png`, l2!);
    files.set(
      `tray/windows/${name}.ico`,
      await encodeIco(WINDOWS_SIZES.map((size) => ({ size, png: renderPng(color, size) }))),
    );
    const [m1, m2] = MACOS_SIZES.map((size) => renderPng(template, size));
    files.set(`tray/macos/${name}Template.png`, m1!);
    files.set(`tray/macos/${name}Template@2x.png`, m2!);
  }
  const app = appSvg();
  const appPngs = new Map<number, Buffer>();
  const appAt = (size: number): Buffer => {
    let png = appPngs.get(size);
    if (!png) {
      png = renderPng(app, size);
      appPngs.set(size, png);
    }
    return png;
  };
  files.set('app/icon.png', appAt(512));
  files.set(
    'app/icon.ico',
    await encodeIco(APP_ICO_SIZES.map((size) => ({ size, png: appAt(size) }))),
  );
  files.set('app/icon.icns', await encodeIcns(appAt));
  return files;
}

/** Files under assets/ that differ from what the sources give (relative paths). */
export function staleAssets(files: Map<string, Buffer>): string[] {
  const stale: string[] = [];
  for (const [relative, contents] of files) {
    let current: Buffer | null;
    try {
      current = readFileSync(path.join(ASSETS_DIR, relative));
    } catch {
      current = null;
    }
    if (!current?.equals(contents)) stale.push(relative);
  }
  return stale;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const files = await generateAll();
  const stale = staleAssets(files);
  if (check) {
    if (stale.length > 0) {
      console.error(
        `assets/ is out of date (${stale.length} files), e.g. ${stale.slice(0, 5).join(', ')}. Run: npm run icons`,
      );
      process.exit(1);
    }
    console.log(`assets/: ${files.size} icon files up to date`);
    return;
  }
  for (const relative of stale) {
    const file = path.join(ASSETS_DIR, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, files.get(relative)!);
  }
  console.log(`assets/: wrote ${stale.length} of ${files.size} icon files`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href)
  await main();
