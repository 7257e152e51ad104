import { describe, expect, it } from 'vitest';
import { percentile } from './percentiles.ts';

describe('percentile (nearest rank)', () => {
  it('picks values that occurred', () => {
    const values = [15, 20, 35, 40, 50];
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 95)).toBe(50);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 100)).toBe(50);
  });

  it('handles one value, none, and unsorted input without changing it', () => {
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 95)).toBeNull();
    const input = [3, 1, 2];
    expect(percentile(input, 50)).toBe(2);
    expect(input).toEqual([3, 1, 2]);
  });

  it('p95 of 1..100 is 95', () => {
    const values = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 50)).toBe(50);
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});
