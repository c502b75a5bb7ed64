// Types for shared/eslint.base.js (plain JS because ESLint loads it), for main/eslint-rules.test.ts.
import type { Linter } from 'eslint';
export declare const TEST_CODE: string[];
export declare function baseConfig(tsconfigRootDir: string): Linter.Config[];
export declare function importGraphConfig(
  rootDir: string,
  zones?: { target: string; from: string[]; message: string }[],
): Linter.Config[];
export declare const restrictedImportPaths: {
  name: string;
  importNames?: string[];
  message: string;
}[];
export declare const electronImportBan: { name: string; message: string };
export declare const ipcBan: { name: string; importNames: string[]; message: string };
