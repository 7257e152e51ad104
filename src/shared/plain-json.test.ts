import { describe, expect, it } from 'vitest';
import { toCsv } from './plain-json.ts';

describe('toCsv', () => {
  it('prints the given columns as the header even with no rows', () => {
    expect(toCsv([], ['model', 'requests'])).toBe('model,requests\r\n');
  });

  it('takes the column set and order from the columns, not from the rows', () => {
    const rows = [{ requests: 2, model: 'a', extra: 'ignored' }, { model: 'b,c' }];
    expect(toCsv(rows, ['model', 'requests'])).toBe('model,requests\r\na,2\r\n"b,c",\r\n');
  });

  it('without columns, uses the first row (and prints nothing for no rows)', () => {
    expect(toCsv([{ a: 1, b: 'x"y' }])).toBe('a,b\r\n1,"x""y"\r\n');
    expect(toCsv([])).toBe('');
  });
});
