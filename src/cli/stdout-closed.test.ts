import { describe, expect, it } from 'vitest';
import { BROKEN_PIPE_EXIT_CODE, exitCodeAfterOutput } from './stdout-closed.ts';

describe('exitCodeAfterOutput', () => {
  it('keeps the command’s code while stdout is open', () => {
    for (const code of [undefined, null, 0, 1, 2, 3, 130])
      expect(exitCodeAfterOutput(code, undefined)).toBe(code ?? 0);
  });

  it('turns success into 141 when the reader left, and into 1 on any other write error', () => {
    expect(BROKEN_PIPE_EXIT_CODE).toBe(128 + 13);
    expect(exitCodeAfterOutput(0, 'pipe')).toBe(141);
    expect(exitCodeAfterOutput(undefined, 'pipe')).toBe(141);
    expect(exitCodeAfterOutput(0, 'error')).toBe(1);
  });

  it('lets a failure the command reported win', () => {
    expect(exitCodeAfterOutput(1, 'pipe')).toBe(1);
    expect(exitCodeAfterOutput('2', 'pipe')).toBe(2);
    expect(exitCodeAfterOutput(130, 'error')).toBe(130);
  });
});
