/**
 * The ONE electron mock for every adapter test in main/electron/. Use it as
 *
 *   vi.mock('electron', () => import('../testing/electron-mock'));
 *   import { electronMock, resetElectronMock } from '../testing/electron-mock';
 *
 * (the test then sees the same module instance as the code under test). It implements just
 * enough of each Electron module to drive our shell, and where our code could get it wrong it
 * behaves like Electron 45 (checked against electron.d.ts and Electron's own sources):
 * - ipcMain.handle refuses a second handler;
 * - app.quit emits before-quit (preventable), then closes every window — a window whose 'close'
 *   is prevented cancels the quit (no will-quit);
 * - loadURL/loadFile settle when the page finished loading, reject on did-fail-load and with
 *   ERR_ABORTED (-3) when a newer load supersedes them;
 * - focus is its own state: show() focuses, hide() and blur() unfocus (isFocused ≠ isVisible);
 * - safeStorage has the async API; on Linux it is unavailable (backend 'unknown') before ready;
 * - platform-only methods exist only on their platform (`setPlatform`): Tray.setTitle and
 *   setIgnoreDoubleClickEvents (macOS), Tray.popUpContextMenu (macOS, Windows),
 *   safeStorage.getSelectedStorageBackend (Linux); powerMonitor 'shutdown' (Linux, macOS only)
 *   always carries an event;
 * - nativeImage.createFromPath of a missing file is an empty image;
 * - protocol: privileged schemes only before ready and once; one handler per scheme;
 * - Notification: show/close and 'click'/'close'/'failed' events.
 * Every call lands in `electronMock.calls` so tests can assert behaviour and ORDER.
 */
import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { type Mock, vi } from 'vitest';

export interface RecordedCall {
  target: string;
  method: string;
  args: unknown[];
}

/** Every recorded call, in order, across all mocked objects (and test fakes that call `recordCall`). */
const calls: RecordedCall[] = [];
const mocks: Mock[] = [];

export function recordCall(target: string, method: string, ...args: unknown[]): void {
  calls.push({ target, method, args });
}

/** A vi.fn that also lands in the ordered call log. */
function tracked<A extends unknown[], R>(
  target: string,
  method: string,
  impl: (...args: A) => R,
): Mock<(...args: A) => R> {
  const fn = vi.fn((...args: A) => {
    recordCall(target, method, ...args);
    return impl(...args);
  });
  mocks.push(fn);
  return fn;
}

/** An Electron-style event object with preventDefault. */
export interface MockEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function mockEvent(): MockEvent {
  const event = {
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

// ---------------------------------------------------------------------------------------------
// platform (what `process.platform` would be inside the Electron being imitated)

let mockPlatform: NodeJS.Platform = 'linux';

/** Define `name` on `target` only on the given platforms (like Electron's platform-only methods). */
function onlyOn<T extends object>(
  target: T,
  platforms: readonly NodeJS.Platform[],
  name: string,
  fn: unknown,
): void {
  if (platforms.includes(mockPlatform))
    Object.defineProperty(target, name, {
      value: fn,
      configurable: true,
      writable: true,
      enumerable: true,
    });
}

// ---------------------------------------------------------------------------------------------
// app

interface AppState {
  ready: boolean;
  readyResolvers: Array<() => void>;
  singleInstanceLock: boolean;
  quitting: boolean;
  quitted: boolean;
  exitCode: number | null;
  name: string;
  paths: Record<string, string>;
  loginItem: { openAtLogin: boolean };
}

const appState: AppState = freshAppState();

function freshAppState(): AppState {
  return {
    ready: false,
    readyResolvers: [],
    singleInstanceLock: true,
    quitting: false,
    quitted: false,
    exitCode: null,
    name: 'Electron',
    paths: {},
    loginItem: { openAtLogin: false },
  };
}

class MockApp extends EventEmitter {
  isPackaged = false;
  readonly commandLine = {
    appendSwitch: tracked(
      'app.commandLine',
      'appendSwitch',
      (_s: string, _v?: string) => undefined,
    ),
  };
  dock: { hide: Mock; show: Mock } | undefined = {
    hide: tracked('app.dock', 'hide', () => undefined),
    show: tracked('app.dock', 'show', () => Promise.resolve()),
  };

  whenReady = tracked('app', 'whenReady', () =>
    appState.ready
      ? Promise.resolve()
      : new Promise<void>((resolve) => appState.readyResolvers.push(resolve)),
  );
  isReady = tracked('app', 'isReady', () => appState.ready);
  requestSingleInstanceLock = tracked(
    'app',
    'requestSingleInstanceLock',
    () => appState.singleInstanceLock,
  );
  releaseSingleInstanceLock = tracked('app', 'releaseSingleInstanceLock', () => undefined);
  setName = tracked('app', 'setName', (name: string) => {
    appState.name = name;
  });
  getName = tracked('app', 'getName', () => appState.name);
  getVersion = tracked('app', 'getVersion', () => '0.0.0-test');
  getPath = tracked(
    'app',
    'getPath',
    (name: string) => appState.paths[name] ?? `/tmp/electron-mock/${name}`,
  );
  setPath = tracked('app', 'setPath', (name: string, value: string) => {
    appState.paths[name] = value;
  });
  getAppPath = tracked(
    'app',
    'getAppPath',
    () => appState.paths.appPath ?? '/tmp/electron-mock/app',
  );
  setAppUserModelId = tracked('app', 'setAppUserModelId', (_id: string) => undefined);
  enableSandbox = tracked('app', 'enableSandbox', () => undefined);
  setLoginItemSettings = tracked(
    'app',
    'setLoginItemSettings',
    (settings: { openAtLogin?: boolean }) => {
      appState.loginItem.openAtLogin = settings.openAtLogin ?? false;
    },
  );
  getLoginItemSettings = tracked('app', 'getLoginItemSettings', () => ({ ...appState.loginItem }));
  focus = tracked('app', 'focus', () => undefined);
  /**
   * Like Electron: emits before-quit (preventable); when not prevented, closes every window —
   * if one of them prevents its 'close', the quit is cancelled — then emits will-quit
   * (preventable) and quit.
   */
  quit = tracked('app', 'quit', () => {
    if (appState.quitted) return;
    const beforeQuit = mockEvent();
    this.emit('before-quit', beforeQuit);
    if (beforeQuit.defaultPrevented) return;
    appState.quitting = true;
    for (const win of [...MockBrowserWindow.instances]) if (!win.isDestroyed()) win.close();
    if (MockBrowserWindow.instances.some((win) => !win.isDestroyed())) {
      appState.quitting = false;
      recordCall('app', 'quit:cancelled-by-window');
      return;
    }
    const willQuit = mockEvent();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) return;
    appState.quitted = true;
    this.emit('quit', mockEvent(), 0);
  });
  exit = tracked('app', 'exit', (code?: number) => {
    appState.exitCode = code ?? 0;
    appState.quitted = true;
  });
}

export const app = new MockApp();

// ---------------------------------------------------------------------------------------------
// web contents, frames, windows

let nextWebContentsId = 1;

export class MockWebFrame {
  /** null for a main frame (like WebFrameMain.parent). */
  constructor(
    public url: string,
    public parent: MockWebFrame | null = null,
  ) {}
}

/** The error Electron's loadURL rejects with: message, errno, code and url. */
function loadError(errno: number, code: string, url: string): Error {
  return Object.assign(new Error(`${code} (${errno}) loading '${url.slice(0, 2048)}'`), {
    errno,
    code,
    url,
  });
}

export class MockWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly mainFrame = new MockWebFrame('');
  private destroyed = false;
  private loading = false;
  private pendingLoad: { url: string; resolve: () => void; reject: (error: Error) => void } | null =
    null;
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;

  send = tracked('webContents', 'send', (_channel: string, ..._args: unknown[]) => {
    if (this.destroyed) throw new Error('Object has been destroyed');
  });
  setWindowOpenHandler = tracked(
    'webContents',
    'setWindowOpenHandler',
    (handler: (details: { url: string }) => { action: 'allow' | 'deny' }) => {
      this.windowOpenHandler = handler;
    },
  );
  getURL = tracked('webContents', 'getURL', () => this.mainFrame.url);
  isLoading = tracked('webContents', 'isLoading', () => this.loading);
  isDestroyed = tracked('webContents', 'isDestroyed', () => this.destroyed);
  focus = tracked('webContents', 'focus', () => undefined);
  openDevTools = tracked('webContents', 'openDevTools', () => undefined);

  reload = tracked('webContents', 'reload', () => {
    this.loading = true;
    this.emit('did-start-loading');
  });

  /** Test helper: the page finished loading `url` (emits did-finish-load; the pending load resolves). */
  finishLoad(url?: string): void {
    if (url !== undefined) this.mainFrame.url = url;
    this.loading = false;
    const pending = this.pendingLoad;
    this.pendingLoad = null;
    this.emit('did-finish-load');
    pending?.resolve();
  }

  /** Test helper: the load failed (emits did-fail-load; the pending load rejects like Electron's). */
  failLoad(errorCode = -6, errorDescription = 'ERR_FILE_NOT_FOUND'): void {
    this.loading = false;
    const pending = this.pendingLoad;
    this.pendingLoad = null;
    this.emit(
      'did-fail-load',
      mockEvent(),
      errorCode,
      errorDescription,
      pending?.url ?? this.mainFrame.url,
      true,
    );
    pending?.reject(loadError(errorCode, errorDescription, pending.url));
  }

  /**
   * Test helper: the page tries to navigate (or is redirected) to `url`. Like Electron 45 the
   * URL is on the event (`details.url`); the positional arguments after it are deprecated.
   */
  attemptNavigation(
    kind: 'will-navigate' | 'will-redirect',
    url: string,
  ): MockEvent & { url: string } {
    const details = Object.assign(mockEvent(), {
      url,
      isMainFrame: true,
      isSameDocument: false,
      frame: this.mainFrame,
      initiator: null,
    });
    this.emit(kind, details, url, false, true);
    return details;
  }

  /** Test helper: the renderer process died (render-process-gone with Electron's details). */
  crash(reason = 'crashed', exitCode = 139): void {
    this.loading = false;
    this.emit('render-process-gone', mockEvent(), { reason, exitCode });
  }

  /** Used by BrowserWindow.loadURL/loadFile: like Electron, a newer load aborts the pending one. */
  startLoad(url: string): Promise<void> {
    const superseded = this.pendingLoad;
    this.mainFrame.url = url;
    this.loading = true;
    const promise = new Promise<void>((resolve, reject) => {
      this.pendingLoad = { url, resolve, reject };
    });
    this.emit('did-start-loading');
    superseded?.reject(loadError(-3, 'ERR_ABORTED', superseded.url));
    return promise;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const pending = this.pendingLoad;
    this.pendingLoad = null;
    pending?.reject(loadError(-3, 'ERR_ABORTED', pending.url));
    this.emit('destroyed');
  }
}

export class MockBrowserWindow extends EventEmitter {
  static instances: MockBrowserWindow[] = [];
  static getAllWindows = vi.fn(() => MockBrowserWindow.instances.filter((w) => !w.isDestroyed()));
  static fromWebContents = vi.fn(
    (wc: MockWebContents) => MockBrowserWindow.instances.find((w) => w.webContents === wc) ?? null,
  );

  readonly webContents = new MockWebContents();
  private visible: boolean;
  private focused = false;
  private destroyed = false;
  private minimized = false;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    this.visible = options.show !== false;
    MockBrowserWindow.instances.push(this);
    recordCall('BrowserWindow', 'constructor', options);
    app.emit('browser-window-created', mockEvent(), this);
    app.emit('web-contents-created', mockEvent(), this.webContents);
  }

  loadURL = tracked('BrowserWindow', 'loadURL', (url: string) => this.webContents.startLoad(url));
  loadFile = tracked('BrowserWindow', 'loadFile', (file: string, options?: { hash?: string }) =>
    this.webContents.startLoad(`file://${file}${options?.hash ? `#${options.hash}` : ''}`),
  );
  /** Like Electron: showing a window also focuses it. */
  show = tracked('BrowserWindow', 'show', () => {
    if (this.destroyed) return;
    this.visible = true;
    this.emit('show');
    this.setFocused(true);
  });
  hide = tracked('BrowserWindow', 'hide', () => {
    if (this.destroyed) return;
    this.visible = false;
    this.setFocused(false);
    this.emit('hide');
  });
  focus = tracked('BrowserWindow', 'focus', () => {
    if (this.visible && !this.destroyed) this.setFocused(true);
  });
  /** Also the test helper for "the user clicked elsewhere" (e.g. on the tray icon, on Windows). */
  blur = tracked('BrowserWindow', 'blur', () => this.setFocused(false));
  restore = tracked('BrowserWindow', 'restore', () => {
    this.minimized = false;
  });
  minimize = tracked('BrowserWindow', 'minimize', () => {
    this.minimized = true;
  });
  isMinimized = tracked('BrowserWindow', 'isMinimized', () => this.minimized);
  isVisible = tracked('BrowserWindow', 'isVisible', () => this.visible && !this.destroyed);
  isFocused = tracked('BrowserWindow', 'isFocused', () => this.focused && !this.destroyed);
  isDestroyed = tracked('BrowserWindow', 'isDestroyed', () => this.destroyed);
  setMenu = tracked('BrowserWindow', 'setMenu', (_menu: unknown) => undefined);
  setMenuBarVisibility = tracked(
    'BrowserWindow',
    'setMenuBarVisibility',
    (_visible: boolean) => undefined,
  );
  /** Like Electron: emits a preventable 'close'; when not prevented the window is destroyed. */
  close = tracked('BrowserWindow', 'close', () => {
    if (this.destroyed) return;
    const event = mockEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroy();
  });
  destroy = tracked('BrowserWindow', 'destroy', () => {
    if (this.destroyed) return;
    this.destroyed = true;
    this.visible = false;
    this.focused = false;
    this.webContents.destroy();
    this.emit('closed');
  });

  private setFocused(focused: boolean): void {
    if (this.focused === focused) return;
    this.focused = focused;
    this.emit(focused ? 'focus' : 'blur');
  }
}

// ---------------------------------------------------------------------------------------------
// tray, menu, images

export class MockNativeImage {
  template = false;
  /** Like Electron: an image of a file that does not exist (or is not a file) is empty. */
  readonly empty: boolean;
  constructor(
    readonly path: string,
    options: { empty?: boolean } = {},
  ) {
    this.empty = options.empty ?? path === '';
  }
  isEmpty(): boolean {
    return this.empty;
  }
  setTemplateImage(value: boolean): void {
    this.template = value;
  }
  isTemplateImage(): boolean {
    return this.template;
  }
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

export const nativeImage = {
  createFromPath: tracked(
    'nativeImage',
    'createFromPath',
    (path: string) => new MockNativeImage(path, { empty: !isFile(path) }),
  ),
  createEmpty: tracked('nativeImage', 'createEmpty', () => new MockNativeImage('')),
};

export interface MockMenuItemOptions {
  id?: string;
  label?: string;
  type?: string;
  enabled?: boolean;
  checked?: boolean;
  click?: (...args: unknown[]) => void;
}

export class MockMenu {
  constructor(readonly items: MockMenuItemOptions[]) {}
  /** Test helper: click the item with this id (like a user would). */
  click(id: string): void {
    const item = this.items.find((i) => i.id === id);
    if (!item) throw new Error(`no menu item ${id}`);
    if (item.enabled === false) throw new Error(`menu item ${id} is disabled`);
    item.click?.(item, undefined, {});
  }
}

export const Menu = {
  buildFromTemplate: tracked(
    'Menu',
    'buildFromTemplate',
    (template: MockMenuItemOptions[]) => new MockMenu(template),
  ),
  setApplicationMenu: tracked('Menu', 'setApplicationMenu', (_menu: MockMenu | null) => undefined),
};

export class MockTray extends EventEmitter {
  static instances: MockTray[] = [];
  image: MockNativeImage;
  toolTip = '';
  title = '';
  contextMenu: MockMenu | null = null;
  private destroyed = false;

  /** macOS only (Electron: @platform darwin). */
  declare readonly setTitle?: Mock<(title: string) => void>;
  /** macOS only. */
  declare readonly setIgnoreDoubleClickEvents?: Mock<(ignore: boolean) => void>;
  /** macOS and Windows only. */
  declare readonly popUpContextMenu?: Mock<(menu?: MockMenu) => void>;

  constructor(image: MockNativeImage | string) {
    super();
    this.image = typeof image === 'string' ? new MockNativeImage(image) : image;
    MockTray.instances.push(this);
    recordCall('Tray', 'constructor', this.image.path);
    onlyOn(
      this,
      ['darwin'],
      'setTitle',
      tracked('Tray', 'setTitle', (title: string) => {
        this.title = title;
      }),
    );
    onlyOn(
      this,
      ['darwin'],
      'setIgnoreDoubleClickEvents',
      tracked('Tray', 'setIgnoreDoubleClickEvents', (_ignore: boolean) => undefined),
    );
    onlyOn(
      this,
      ['darwin', 'win32'],
      'popUpContextMenu',
      tracked('Tray', 'popUpContextMenu', (_menu?: MockMenu) => undefined),
    );
  }

  setImage = tracked('Tray', 'setImage', (image: MockNativeImage | string) => {
    this.image = typeof image === 'string' ? new MockNativeImage(image) : image;
  });
  setToolTip = tracked('Tray', 'setToolTip', (text: string) => {
    this.toolTip = text;
  });
  setContextMenu = tracked('Tray', 'setContextMenu', (menu: MockMenu | null) => {
    this.contextMenu = menu;
  });
  isDestroyed = tracked('Tray', 'isDestroyed', () => this.destroyed);
  destroy = tracked('Tray', 'destroy', () => {
    this.destroyed = true;
  });
}

// ---------------------------------------------------------------------------------------------
// IPC and context bridge

export interface MockInvokeEvent {
  sender: MockWebContents | { id: number };
  senderFrame: MockWebFrame | { url: string; parent: unknown } | null;
}

type InvokeHandler = (event: MockInvokeEvent, ...args: unknown[]) => unknown;

class MockIpcMain extends EventEmitter {
  readonly handlers = new Map<string, InvokeHandler>();
  handle = tracked('ipcMain', 'handle', (channel: string, handler: InvokeHandler) => {
    // Electron throws on a second handler for the same channel.
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  });
  removeHandler = tracked('ipcMain', 'removeHandler', (channel: string) => {
    this.handlers.delete(channel);
  });
  /** Test helper: what ipcRenderer.invoke from `event.sender` would get (rejects like Electron when no handler). */
  invokeFrom(event: MockInvokeEvent, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler)
      return Promise.reject(
        new Error(
          `Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`,
        ),
      );
    return Promise.resolve().then(() => handler(event, ...args));
  }
}

export const ipcMain = new MockIpcMain();

class MockIpcRenderer extends EventEmitter {
  /** What main answers; tests replace it. Default: an InvokeResult echo. */
  responder: (channel: string, ...args: unknown[]) => unknown = (channel, request) => ({
    ok: true,
    response: { channel, request },
  });
  invoke = tracked('ipcRenderer', 'invoke', (channel: string, ...args: unknown[]) =>
    Promise.resolve().then(() => this.responder(channel, ...args)),
  );
  send = tracked('ipcRenderer', 'send', (_channel: string, ..._args: unknown[]) => undefined);
  /** Test helper: main sent `payload` on `channel` (listeners get (event, payload) like Electron). */
  emitFromMain(channel: string, payload: unknown): void {
    this.emit(channel, { sender: this, ports: [] }, payload);
  }
}

export const ipcRenderer = new MockIpcRenderer();

export const contextBridge = {
  /** What the page sees under window[key]. */
  exposed: {} as Record<string, unknown>,
  exposeInMainWorld: tracked('contextBridge', 'exposeInMainWorld', (key: string, api: unknown) => {
    if (Object.hasOwn(contextBridge.exposed, key))
      throw new Error(
        `Cannot bind an API on top of an existing property on the window object: ${key}`,
      );
    contextBridge.exposed[key] = api;
  }),
};

// ---------------------------------------------------------------------------------------------
// safeStorage, powerMonitor, session, shell, dialog, Notification

const safeState = { available: true, backend: 'gnome_libsecret' as string, shouldReEncrypt: false };
const MOCK_CIPHER_MAGIC = Buffer.from('MOCKv1');

/** A reversible transform that is NOT plaintext, so tests can prove nothing is stored in clear. */
function scramble(data: Buffer): Buffer {
  return Buffer.from(data.map((byte, i) => byte ^ ((0xa5 + i) % 256)));
}

/** Linux: nothing is available before ready (Electron: backend 'unknown', no key yet). */
function encryptionReady(): boolean {
  return safeState.available && (mockPlatform !== 'linux' || appState.ready);
}

function encrypt(plain: string, method: string): Buffer {
  if (!encryptionReady())
    throw new Error(
      `Error while encrypting the text provided to safeStorage.${method}. Encryption is not available.`,
    );
  return Buffer.concat([MOCK_CIPHER_MAGIC, scramble(Buffer.from(plain, 'utf8'))]);
}

function decrypt(cipher: Buffer, method: string): string {
  if (!encryptionReady())
    throw new Error(
      `Error while decrypting the ciphertext provided to safeStorage.${method}. Decryption is not available.`,
    );
  if (!cipher.subarray(0, MOCK_CIPHER_MAGIC.length).equals(MOCK_CIPHER_MAGIC))
    throw new Error(`Error while decrypting the ciphertext provided to safeStorage.${method}.`);
  return scramble(cipher.subarray(MOCK_CIPHER_MAGIC.length)).toString('utf8');
}

interface MockSafeStorage {
  isEncryptionAvailable: Mock<() => boolean>;
  encryptString: Mock<(plain: string) => Buffer>;
  decryptString: Mock<(cipher: Buffer) => string>;
  isAsyncEncryptionAvailable: Mock<() => Promise<boolean>>;
  encryptStringAsync: Mock<(plain: string) => Promise<Buffer>>;
  decryptStringAsync: Mock<
    (cipher: Buffer) => Promise<{ result: string; shouldReEncrypt: boolean }>
  >;
  setUsePlainTextEncryption: Mock<(use: boolean) => void>;
  /** Linux only. */
  getSelectedStorageBackend?: Mock<() => string>;
}

export const safeStorage: MockSafeStorage = {
  // The synchronous calls are deprecated in Electron 45 (gone in 46); kept so a test can prove they are not used.
  isEncryptionAvailable: tracked('safeStorage', 'isEncryptionAvailable', () => encryptionReady()),
  encryptString: tracked('safeStorage', 'encryptString', (plain: string) =>
    encrypt(plain, 'encryptString'),
  ),
  decryptString: tracked('safeStorage', 'decryptString', (cipher: Buffer) =>
    decrypt(cipher, 'decryptString'),
  ),
  isAsyncEncryptionAvailable: tracked('safeStorage', 'isAsyncEncryptionAvailable', () =>
    Promise.resolve(encryptionReady()),
  ),
  encryptStringAsync: tracked('safeStorage', 'encryptStringAsync', (plain: string) =>
    Promise.resolve().then(() => encrypt(plain, 'encryptStringAsync')),
  ),
  decryptStringAsync: tracked('safeStorage', 'decryptStringAsync', (cipher: Buffer) =>
    Promise.resolve().then(() => ({
      result: decrypt(cipher, 'decryptStringAsync'),
      shouldReEncrypt: safeState.shouldReEncrypt,
    })),
  ),
  setUsePlainTextEncryption: tracked(
    'safeStorage',
    'setUsePlainTextEncryption',
    (_use: boolean) => undefined,
  ),
};
const getSelectedStorageBackend = tracked('safeStorage', 'getSelectedStorageBackend', () =>
  appState.ready ? safeState.backend : 'unknown',
);

/** Electron's powerMonitor; 'shutdown' is emitted on Linux and macOS only, always with an event. */
export const powerMonitor = new EventEmitter();

// ---------------------------------------------------------------------------------------------
// protocol

export type ProtocolHandler = (request: Request) => Response | Promise<Response>;

class MockProtocol {
  readonly privileged: Array<{ scheme: string; privileges?: Record<string, boolean> }> = [];
  readonly handlers = new Map<string, ProtocolHandler>();
  private registered = false;
  /** Like Electron: only before ready, and only once. */
  registerSchemesAsPrivileged = tracked(
    'protocol',
    'registerSchemesAsPrivileged',
    (schemes: Array<{ scheme: string; privileges?: Record<string, boolean> }>) => {
      if (appState.ready)
        throw new Error(
          'protocol.registerSchemesAsPrivileged should be called before app is ready',
        );
      if (this.registered)
        throw new Error('protocol.registerSchemesAsPrivileged can only be called once');
      this.registered = true;
      this.privileged.push(...schemes);
    },
  );
  handle = tracked('protocol', 'handle', (scheme: string, handler: ProtocolHandler) => {
    if (!appState.ready) throw new Error('protocol.handle must be called after app is ready');
    if (this.handlers.has(scheme)) throw new Error(`Failed to register protocol: ${scheme}`);
    this.handlers.set(scheme, handler);
  });
  unhandle = tracked('protocol', 'unhandle', (scheme: string) => {
    this.handlers.delete(scheme);
  });
  isProtocolHandled = tracked('protocol', 'isProtocolHandled', (scheme: string) =>
    this.handlers.has(scheme),
  );
  /** Test helper: what the renderer would get for `url` (net::ERR_UNKNOWN_URL_SCHEME without a handler). */
  async request(url: string, init?: RequestInit): Promise<Response> {
    const scheme = url.slice(0, url.indexOf(':'));
    const handler = this.handlers.get(scheme);
    if (!handler) throw new Error(`net::ERR_UNKNOWN_URL_SCHEME ${url}`);
    return handler(new Request(url, init));
  }
  reset(): void {
    this.privileged.length = 0;
    this.handlers.clear();
    this.registered = false;
  }
}

export const protocol = new MockProtocol();

type HeadersListener = (
  details: { url: string; responseHeaders?: Record<string, string[]>; resourceType?: string },
  callback: (response: {
    cancel?: boolean;
    responseHeaders?: Record<string, string[] | string>;
  }) => void,
) => void;
type BeforeRequestListener = (
  details: { url: string },
  callback: (response: { cancel?: boolean }) => void,
) => void;

export class MockSession {
  permissionRequestHandler:
    | ((
        wc: unknown,
        permission: string,
        callback: (granted: boolean) => void,
        details: unknown,
      ) => void)
    | null = null;
  permissionCheckHandler:
    ((wc: unknown, permission: string, origin: string, details: unknown) => boolean) | null = null;
  headersListener: HeadersListener | null = null;
  beforeRequestListener: BeforeRequestListener | null = null;
  beforeRequestFilter: { urls: string[] } | null = null;
  readonly webRequest = {
    onHeadersReceived: tracked(
      'session.webRequest',
      'onHeadersReceived',
      (listener: HeadersListener | null) => {
        this.headersListener = listener;
      },
    ),
    onBeforeRequest: tracked(
      'session.webRequest',
      'onBeforeRequest',
      (filter: { urls: string[] }, listener: BeforeRequestListener | null) => {
        this.beforeRequestFilter = filter;
        this.beforeRequestListener = listener;
      },
    ),
  };
  setPermissionRequestHandler = tracked(
    'session',
    'setPermissionRequestHandler',
    (handler: MockSession['permissionRequestHandler']) => {
      this.permissionRequestHandler = handler;
    },
  );
  setPermissionCheckHandler = tracked(
    'session',
    'setPermissionCheckHandler',
    (handler: MockSession['permissionCheckHandler']) => {
      this.permissionCheckHandler = handler;
    },
  );
  setDevicePermissionHandler = tracked(
    'session',
    'setDevicePermissionHandler',
    (_handler: unknown) => undefined,
  );
}

export const session = { defaultSession: new MockSession() };

export const shell = {
  openExternal: tracked('shell', 'openExternal', (_url: string) => Promise.resolve()),
  openPath: tracked('shell', 'openPath', (_path: string) => Promise.resolve('')),
};

export const dialog = {
  showErrorBox: tracked('dialog', 'showErrorBox', (_title: string, _content: string) => undefined),
};

/** Electron's Notification: show() displays it; the OS reports 'show', 'click', 'close' or 'failed'. */
export class Notification extends EventEmitter {
  static instances: Notification[] = [];
  static isSupported = vi.fn(() => true);
  shown = false;
  closed = false;
  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    Notification.instances.push(this);
    recordCall('Notification', 'constructor', options);
  }
  show = tracked('Notification', 'show', () => {
    this.shown = true;
    this.closed = false;
    this.emit('show', mockEvent());
  });
  close = tracked('Notification', 'close', () => {
    if (!this.shown || this.closed) return;
    this.closed = true;
    this.emit('close', mockEvent());
  });
  /** Test helper: the user clicked the notification. */
  click(): void {
    if (!this.shown) throw new Error('a notification that was never shown cannot be clicked');
    this.emit('click', mockEvent());
  }
  /** Test helper: the OS could not show it (Windows: 'failed' with an error string). */
  fail(error: string): void {
    this.emit('failed', mockEvent(), error);
  }
}

// ---------------------------------------------------------------------------------------------
// control surface for tests

export const BrowserWindow = MockBrowserWindow;
export const Tray = MockTray;

export const electronMock = {
  calls,
  app,
  ipcMain,
  ipcRenderer,
  contextBridge,
  safeStorage,
  powerMonitor,
  session,
  shell,
  dialog,
  nativeImage,
  Menu,
  protocol,
  get platform(): NodeJS.Platform {
    return mockPlatform;
  },
  /**
   * The platform the mock imitates (default linux): platform-only methods appear or vanish.
   * Call it before creating trays; it re-shapes the module objects that exist already.
   */
  setPlatform(platform: NodeJS.Platform): void {
    mockPlatform = platform;
    applyPlatform();
  },
  /** Linux/macOS: the OS is about to shut down (powerMonitor 'shutdown'); returns the event. */
  emitSystemShutdown(): MockEvent {
    if (mockPlatform !== 'linux' && mockPlatform !== 'darwin')
      throw new Error(
        `powerMonitor emits 'shutdown' only on Linux and macOS, not on ${mockPlatform}`,
      );
    const event = mockEvent();
    powerMonitor.emit('shutdown', event);
    return event;
  },
  /** The next decryptStringAsync answers shouldReEncrypt (key rotated). */
  setShouldReEncrypt(value: boolean): void {
    safeState.shouldReEncrypt = value;
  },
  get windows(): MockBrowserWindow[] {
    return MockBrowserWindow.instances;
  },
  get trays(): MockTray[] {
    return MockTray.instances;
  },
  get notifications(): Notification[] {
    return Notification.instances;
  },
  /** Fire app 'ready' (whenReady resolves). */
  setReady(): void {
    appState.ready = true;
    for (const resolve of appState.readyResolvers.splice(0)) resolve();
    app.emit('ready');
  },
  setSingleInstanceLock(granted: boolean): void {
    appState.singleInstanceLock = granted;
  },
  setEncryptionAvailable(
    available: boolean,
    backend = available ? 'gnome_libsecret' : 'unknown',
  ): void {
    safeState.available = available;
    safeState.backend = backend;
  },
  setPath(name: string, value: string): void {
    appState.paths[name] = value;
  },
  get appState(): Readonly<AppState> {
    return appState;
  },
  /** Calls recorded so far, filtered; e.g. `callsOf('Tray', 'destroy')`. */
  callsOf(target: string, method?: string): RecordedCall[] {
    return calls.filter(
      (c) => c.target === target && (method === undefined || c.method === method),
    );
  },
  /** Index of the first recorded call matching target.method (−1 when absent), for order checks. */
  indexOf(target: string, method: string): number {
    return calls.findIndex((c) => c.target === target && c.method === method);
  },
};

function applyPlatform(): void {
  delete safeStorage.getSelectedStorageBackend;
  onlyOn(safeStorage, ['linux'], 'getSelectedStorageBackend', getSelectedStorageBackend);
}
applyPlatform();

/** Reset every mock to a fresh state (call in beforeEach). */
export function resetElectronMock(): void {
  calls.length = 0;
  for (const fn of mocks) fn.mockClear();
  Object.assign(appState, freshAppState());
  app.removeAllListeners();
  app.isPackaged = false;
  ipcMain.removeAllListeners();
  ipcMain.handlers.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.responder = (channel, request) => ({ ok: true, response: { channel, request } });
  contextBridge.exposed = {};
  safeState.available = true;
  safeState.backend = 'gnome_libsecret';
  safeState.shouldReEncrypt = false;
  mockPlatform = 'linux';
  applyPlatform();
  powerMonitor.removeAllListeners();
  protocol.reset();
  session.defaultSession = new MockSession();
  MockBrowserWindow.instances = [];
  MockTray.instances = [];
  Notification.instances = [];
  nextWebContentsId = 1;
}

export default {
  app,
  BrowserWindow,
  Tray,
  Menu,
  nativeImage,
  ipcMain,
  ipcRenderer,
  contextBridge,
  safeStorage,
  powerMonitor,
  session,
  shell,
  dialog,
  Notification,
  protocol,
};
