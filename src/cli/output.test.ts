import { describe, expect, it } from 'vitest';
import { type Column, renderTable } from './output.ts';
import { createStyle } from './style.ts';

interface Row {
  name: string;
  status: string;
}

const columns: Column<Row>[] = [
  { header: 'name', value: (row) => row.name },
  { header: 'status', value: (row) => row.status, colour: (row) => (row.status === 'ok' ? 'green' : 'red') },
];

describe('renderTable', () => {
  it('writes control characters in cells out as escapes, so a row stays one line', () => {
    const text = renderTable(
      [
        { name: 'evil\u001b[2J\u001b[31mX', status: 'ok' },
        { name: 'two\nlines\ttab', status: 'error\u0007' },
      ],
      columns,
      createStyle(false),
    );
    const first = 'evil\\x1b[2J\\x1b[31mX';
    const pad = (cell: string) => cell.padEnd(first.length + 2);
    expect(text).toBe(
      [`${pad('name')}status`, `${pad(first)}ok`, `${pad('two\\nlines\\ttab')}error\\x07`, ''].join('\n'),
    );
  });

  it('colours a cell after escaping it: its own escape codes are the only ones', () => {
    const text = renderTable([{ name: 'a\u001b[31m', status: 'ok' }], columns, createStyle(true));
    const row = text.split('\n')[1] ?? '';
    expect(row).toBe('a\\x1b[31m  \u001b[32mok\u001b[39m');
  });
});
