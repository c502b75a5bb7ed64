/** Names shared by the self-contained agent's entry (./sea-entry.ts) and its build (main/packaging/agent-build.ts). */
/** The global through which a lazy package's stand-in loads it (agent-build.ts LAZY_PACKAGES). */
export const LAZY_PACKAGE_LOADER = '__nutSentinelLoadPackage';
export function lazyPackageAsset(name: string): string {
  return `lazy-${name}.cjs`;
}
