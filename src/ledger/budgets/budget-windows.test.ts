import { describe, expect, it } from 'vitest';
import { windowStart } from './budget-windows.ts';

describe('windowStart', () => {
  const wednesday = Date.UTC(2025, 0, 15, 13, 45);
  it('starts days, ISO weeks and months at UTC midnight', () => {
    expect(windowStart('day', wednesday)).toEqual({ startMs: Date.UTC(2025, 0, 15), startDay: '2025-01-15' });
    expect(windowStart('week', wednesday)).toEqual({
      startMs: Date.UTC(2025, 0, 13),
      startDay: '2025-01-13',
    });
    expect(windowStart('week', Date.UTC(2025, 0, 19, 23)).startDay).toBe('2025-01-13');
    expect(windowStart('week', Date.UTC(2025, 0, 20)).startDay).toBe('2025-01-20');
    expect(windowStart('month', wednesday)).toEqual({
      startMs: Date.UTC(2025, 0, 1),
      startDay: '2025-01-01',
    });
    expect(windowStart('total', wednesday)).toEqual({ startMs: 0, startDay: '0000-00-00' });
  });
});
