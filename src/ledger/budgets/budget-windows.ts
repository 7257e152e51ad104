export const BUDGET_SCOPES = ['global', 'module', 'user', 'key'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_WINDOWS = ['day', 'week', 'month', 'total'] as const;
export type BudgetWindow = (typeof BUDGET_WINDOWS)[number];

const DAY_MS = 86_400_000;

/**
 * Where a budget window containing `now` starts (UTC): the day, the ISO week (Monday), the
 * calendar month, or the beginning of time. `startDay` is the same instant as a rollup day key.
 */
export function windowStart(window: BudgetWindow, now: number): { startMs: number; startDay: string } {
  const date = new Date(now);
  const dayStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  let startMs: number;
  switch (window) {
    case 'day':
      startMs = dayStart;
      break;
    case 'week':
      startMs = dayStart - ((date.getUTCDay() + 6) % 7) * DAY_MS;
      break;
    case 'month':
      startMs = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      break;
    case 'total':
      return { startMs: 0, startDay: '0000-00-00' };
  }
  return { startMs, startDay: new Date(startMs).toISOString().slice(0, 10) };
}
