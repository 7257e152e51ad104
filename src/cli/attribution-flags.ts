/**
 * Who a call is for (`--module`, `--user`, and a batch line's "module" and "user"): reports group
 * on these, filter by them and print them, so text that would break a table row or drive a
 * terminal is refused before anything is sent, naming the flag or line to fix. The ledger refuses
 * it too; this says so in the command's own words.
 */
import { escapeControlCharacters, hasControlCharacters } from '../shared/control-characters.ts';
import { parseTextFlag, UsageError } from './flags.ts';

/** What is wrong with an attribution value, or undefined when it is fine. */
export function attributionProblem(value: string): string | undefined {
  if (!hasControlCharacters(value)) return undefined;
  return `must not contain control characters (newlines, tabs, terminal escapes); got "${escapeControlCharacters(value.slice(0, 60))}"`;
}

/** A --module or --user flag: non-empty (trimmed) text with no control characters. */
export function parseAttributionFlag(
  flag: '--module' | '--user',
  raw: string | undefined,
  example: string,
): string | undefined {
  const text = parseTextFlag(flag, raw, example);
  const problem = text === undefined ? undefined : attributionProblem(text);
  if (problem) throw new UsageError(`${flag} ${problem}. Example: ${flag} ${example}`);
  return text;
}
