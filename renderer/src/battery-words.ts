/** Words for outage records and battery health, shared by the Outages view, the Battery tab and the card. */
import type { ReplaceReason } from '../../shared/outages';

export const REASON_WORD: Readonly<Record<ReplaceReason['kind'], string>> = {
  age: 'age',
  replbatt: 'REPLBATT',
  'self-test': 'failed self-test',
  capacity: 'capacity drift',
};

/** `45 s`, `12 min 5 s`, `2 h 3 min`: outage lengths, exact enough to compare. */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
