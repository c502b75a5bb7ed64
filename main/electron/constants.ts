/** Identity of the desktop app (kept in step with electron-builder.yml). */
export const APP_NAME = 'NUT Sentinel';
/** electron-builder appId; also the Windows AppUserModelID (toasts and taskbar grouping). */
export const APP_ID = 'io.github.nutsentinel.app';
/** Environment variable naming the renderer dev server (only honoured when not packaged). */
export const DEV_URL_ENV = 'NUT_SENTINEL_DEV_URL';
/** Environment variable overriding the userData folder (tests, portable setups). */
export const USER_DATA_ENV = 'NUT_SENTINEL_USER_DATA_DIR';
/** Command-line flag: start with the window hidden even when nothing is configured (login items). */
export const HIDDEN_FLAG = '--hidden';
