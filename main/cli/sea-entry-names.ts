/** Names shared by the self-contained agent's entry (./sea-entry.ts) and its build (main/packaging/agent-build.ts). */
export const SQLITE_WASM_ASSET = 'node-sqlite3-wasm.wasm';
export const SQLITE_WASM_GLOBAL = '__nutSentinelSqliteWasm';
