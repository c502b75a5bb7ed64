// Types for main/eslint.layers.js (plain JS because ESLint loads it), for main/eslint-rules.test.ts.
export interface LayerZone {
  target: string;
  from: string[];
  message: string;
}
export declare const MAIN_LAYERS: Record<string, readonly string[] | '*'>;
export declare function mainLayerZones(): LayerZone[];
