import { describe, expect, it } from 'vitest';
import { formatAge, formatDuration, formatRuntime } from './durations';

describe('formatDuration', () => {
  it('reads like a person would say it', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(4)).toBe('4 s');
    expect(formatDuration(50)).toBe('50 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(252)).toBe('4 min 12 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(1200)).toBe('20 min');
    expect(formatDuration(2700)).toBe('45 min');
    expect(formatDuration(3725)).toBe('1 h 2 min');
    expect(formatDuration(4320)).toBe('1 h 12 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(48 * 3600)).toBe('2 d');
    expect(formatDuration(70 * 3600)).toBe('2 d 22 h');
  });
  it('drops the seconds from 10 min on, and rounds to the second first', () => {
    expect(formatDuration(9 * 60 + 59)).toBe('9 min 59 s');
    expect(formatDuration(10 * 60 + 59)).toBe('10 min');
    expect(formatDuration(59.6)).toBe('1 min');
    expect(formatDuration(4.4)).toBe('4 s');
  });
  it('reads a negative duration (a deadline just passed) as 0 s', () => {
    expect(formatDuration(-3)).toBe('0 s');
  });
});

describe('formatRuntime', () => {
  it('is "unknown" for a missing runtime, never 0', () => {
    expect(formatRuntime(null)).toBe('unknown');
    expect(formatRuntime(undefined)).toBe('unknown');
    expect(formatRuntime(Number.NaN)).toBe('unknown');
    expect(formatRuntime(-5)).toBe('unknown');
  });
  it('is formatDuration for a known runtime', () => {
    expect(formatRuntime(0)).toBe('0 s');
    expect(formatRuntime(1800)).toBe('30 min');
    expect(formatRuntime(70 * 3600)).toBe('2 d 22 h');
  });
});

describe('formatAge', () => {
  it('is "never" without a time and "just now" under a second', () => {
    expect(formatAge(null)).toBe('never');
    expect(formatAge(undefined)).toBe('never');
    expect(formatAge(200)).toBe('just now');
  });
  it('is coarse: whole seconds, then whole minutes, hours with minutes, days', () => {
    expect(formatAge(2_400)).toBe('2 s ago');
    expect(formatAge(59_999)).toBe('59 s ago');
    expect(formatAge(70_000)).toBe('1 min ago');
    expect(formatAge(3 * 60_000 + 5_000)).toBe('3 min ago');
    expect(formatAge(60 * 60_000)).toBe('1 h ago');
    expect(formatAge(65 * 60_000)).toBe('1 h 5 min ago');
    expect(formatAge(50 * 3_600_000)).toBe('2 d ago');
  });
});
