/**
 * Comparing the addresses upsd lists for logged-in clients (LIST CLIENT) with our own and with the
 * clients a user expects. One definition for the monitor's snapshot and the FSD test's preflight.
 */

/** `::ffff:10.0.0.5` → `10.0.0.5`, as LIST CLIENT and our own socket address must compare equal. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Does a LIST CLIENT entry stand for this expected client (an address, or a host name that resolved)? */
export function matchesExpected(
  expected: string,
  address: string,
  hostname: string | null,
): boolean {
  const want = expected.trim().toLowerCase();
  if (want === address.toLowerCase()) return true;
  if (hostname === null) return false;
  const name = hostname.toLowerCase();
  return name === want || name.startsWith(`${want}.`);
}
