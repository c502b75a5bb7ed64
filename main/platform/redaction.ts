/**
 * Redacting known secrets (passwords read from a file, …) out of text that is shown or logged.
 *
 * Matching is one Aho–Corasick pass over UTF-16 code units, so scrubbing is linear in the text
 * whatever the number of secrets (scrubbing each line with each secret in turn made a large
 * upsmon.conf import quadratic). Code units, not grapheme clusters: a secret must be found even
 * where it ends inside a cluster (`a` in `a` + U+0301), which grapheme-based matchers such as
 * modern-ahocorasick deliberately skip — that is why this is not a library call.
 */

/**
 * The one marker for a hidden secret, everywhere: import reports, NUT command lines in errors and
 * logs, the app's log file, hook runs in the event log.
 */
export const REDACTED = '[REDACTED]';

/** A state with more children than this gets a lookup table instead of a scan of its children. */
const WIDE_STATE = 6;

export class SecretScrubber {
  // The trie in flat typed arrays (state 0 is the root; 0 also means "none"): thousands of
  // passwords would otherwise mean hundreds of thousands of small objects for the GC.
  private readonly code: Uint16Array;
  private readonly firstChild: Int32Array;
  private readonly nextSibling: Int32Array;
  private readonly fail: Int32Array;
  /** Length of the longest secret that ends in this state (itself or via its suffix links); 0: none. */
  private readonly longest: Int32Array;
  /** The root's transitions by code unit, so falling back to the root costs one lookup. */
  private readonly rootNext = new Int32Array(0x10000);
  private states = 1;
  /** States with many children (passwords sharing a prefix), looked up by code unit. */
  private readonly wide = new Map<number, Map<number, number>>();
  private readonly isWide: Uint8Array;

  constructor(
    secrets: Iterable<string>,
    readonly marker = REDACTED,
  ) {
    const unique = [...new Set(secrets)].filter((secret) => secret !== '');
    const capacity = 1 + unique.reduce((sum, secret) => sum + secret.length, 0);
    this.code = new Uint16Array(capacity);
    this.firstChild = new Int32Array(capacity);
    this.nextSibling = new Int32Array(capacity);
    this.fail = new Int32Array(capacity);
    this.longest = new Int32Array(capacity);
    this.isWide = new Uint8Array(capacity);
    for (const secret of unique) this.add(secret);
    this.indexWideStates();
    this.link();
  }

  /** No secret to look for. */
  get empty(): boolean {
    return this.states === 1;
  }

  /** Whether any secret occurs in `text`. */
  contains(text: string): boolean {
    if (this.empty) return false;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = this.step(state, text.charCodeAt(i));
      if (this.longest[state]! > 0) return true;
    }
    return false;
  }

  /**
   * Replaces every stretch of text covered by secrets with the marker. The result is checked
   * again (a secret may be part of the marker, or appear across its edge with the text around it):
   * then the covered stretches are removed until none is left, which ends because the text shrinks.
   */
  scrub(text: string): string {
    if (this.empty) return text;
    let out = splice(text, this.covered(text), this.marker);
    for (let ranges = this.covered(out); ranges.length > 0; ranges = this.covered(out))
      out = splice(out, ranges, '');
    return out;
  }

  private child(state: number, code: number): number {
    if (state === 0) return this.rootNext[code]!;
    if (this.isWide[state] === 1) return this.wide.get(state)!.get(code) ?? 0;
    for (let c = this.firstChild[state]!; c !== 0; c = this.nextSibling[c]!)
      if (this.code[c] === code) return c;
    return 0;
  }

  private add(secret: string): void {
    let state = 0;
    for (let i = 0; i < secret.length; i++) {
      const code = secret.charCodeAt(i);
      let to = this.child(state, code);
      if (to === 0) {
        to = this.states++;
        this.code[to] = code;
        this.nextSibling[to] = this.firstChild[state]!;
        this.firstChild[state] = to;
        if (state === 0) this.rootNext[code] = to;
      }
      state = to;
    }
    this.longest[state] = secret.length;
  }

  private indexWideStates(): void {
    for (let state = 1; state < this.states; state++) {
      let count = 0;
      for (
        let c = this.firstChild[state]!;
        c !== 0 && count <= WIDE_STATE;
        c = this.nextSibling[c]!
      )
        count++;
      if (count <= WIDE_STATE) continue;
      const children = new Map<number, number>();
      for (let c = this.firstChild[state]!; c !== 0; c = this.nextSibling[c]!)
        children.set(this.code[c]!, c);
      this.wide.set(state, children);
      this.isWide[state] = 1;
    }
  }

  /** Suffix links, breadth first (a state's link is always shallower, so it is done before it). */
  private link(): void {
    const queue = new Int32Array(this.states);
    let tail = 0;
    for (let c = this.firstChild[0]!; c !== 0; c = this.nextSibling[c]!) queue[tail++] = c; // their link is the root
    for (let head = 0; head < tail; head++) {
      const state = queue[head]!;
      for (let to = this.firstChild[state]!; to !== 0; to = this.nextSibling[to]!) {
        const link = this.step(this.fail[state]!, this.code[to]!);
        this.fail[to] = link;
        if (this.longest[to] === 0) this.longest[to] = this.longest[link]!;
        queue[tail++] = to;
      }
    }
  }

  /** The transition on `code`, following suffix links back towards the root (the hot loop: locals only). */
  private step(state: number, code: number): number {
    const { rootNext, firstChild, nextSibling, fail, isWide, wide } = this;
    const codes = this.code;
    for (;;) {
      if (state === 0) return rootNext[code]!;
      if (isWide[state] === 1) {
        const to = wide.get(state)!.get(code);
        if (to !== undefined) return to;
      } else {
        for (let c = firstChild[state]!; c !== 0; c = nextSibling[c]!)
          if (codes[c] === code) return c;
      }
      state = fail[state]!;
    }
  }

  /** The [start, end) stretches covered by at least one occurrence of a secret, merged where they overlap. */
  private covered(text: string): [number, number][] {
    const ranges: [number, number][] = [];
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      state = this.step(state, text.charCodeAt(i));
      const length = this.longest[state]!;
      if (length === 0) continue;
      // The longest secret ending here covers every shorter one ending here.
      let start = i + 1 - length;
      while (ranges.length > 0 && ranges[ranges.length - 1]![1] > start)
        start = Math.min(start, ranges.pop()![0]);
      ranges.push([start, i + 1]);
    }
    return ranges;
  }
}

function splice(text: string, ranges: readonly [number, number][], replacement: string): string {
  if (ranges.length === 0) return text;
  let out = '';
  let pos = 0;
  for (const [start, end] of ranges) {
    out += text.slice(pos, start) + replacement;
    pos = end;
  }
  return out + text.slice(pos);
}
