/**
 * Terminal colour without a dependency: ANSI codes only when the stream is a terminal and the user
 * has not opted out. NO_COLOR (any non-empty value) turns colour off; FORCE_COLOR (anything but "0"
 * or "false") turns it on even when piped, which is how CI logs and `less -R` users ask for it.
 */
export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** The colours (and weights) a `Style` paints with. */
export type Colour = Exclude<keyof Style, 'enabled'>;

type Env = Readonly<Record<string, string | undefined>>;

export function colourEnabled(stream: { isTTY?: boolean }, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (force === '0' || force === 'false') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function createStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/** Styles for what goes to stdout and to stderr, each decided by its own stream. */
export function stdoutStyle(): Style {
  return createStyle(colourEnabled(process.stdout));
}

export function stderrStyle(): Style {
  return createStyle(colourEnabled(process.stderr));
}

/** Length as the terminal shows it: escape codes take no room. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
