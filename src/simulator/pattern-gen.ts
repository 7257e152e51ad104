import type { Rng } from './rng.ts';

/**
 * Produces a string matching a simple regular expression, the kind JSON schemas carry in
 * `pattern` ("^[A-Z]{3}-\\d{4}$"): literals, escapes, classes, groups with alternation and the
 * usual quantifiers. Anything fancier returns undefined and the caller falls back.
 */
export function generateFromPattern(pattern: string, rng: Rng): string | undefined {
  try {
    const parser = { source: pattern, at: 0 };
    const out = alternation(parser, rng);
    if (parser.at !== pattern.length) return undefined;
    return new RegExp(pattern, 'u').test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

interface Parser {
  source: string;
  at: number;
}

const DIGITS = '0123456789';
const WORD = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';

function alternation(p: Parser, rng: Rng): string {
  const first = sequence(p, rng);
  let chosen = first;
  while (p.source[p.at] === '|') {
    p.at++;
    // Later branches are parsed (to move past them) but the first one is used.
    sequence(p, rng);
    chosen = first;
  }
  return chosen;
}

function sequence(p: Parser, rng: Rng): string {
  let out = '';
  while (p.at < p.source.length) {
    const c = p.source[p.at];
    if (c === '|' || c === ')') break;
    if (c === '^' || c === '$') {
      p.at++;
      continue;
    }
    const atomStart = p.at;
    const produce = atom(p, rng);
    const [min, max] = quantifier(p);
    const count = min === max ? min : min + Math.floor(rng.next() * (Math.min(max, min + 3) - min + 1));
    for (let i = 0; i < count; i++) {
      if (i === 0) {
        out += produce;
      } else {
        const again = { source: p.source, at: atomStart };
        out += atom(again, rng);
      }
    }
  }
  return out;
}

function atom(p: Parser, rng: Rng): string {
  const c = p.source[p.at];
  if (c === undefined) throw new SyntaxError('unexpected end');
  if (c === '(') {
    p.at++;
    if (p.source.startsWith('?:', p.at)) p.at += 2;
    const inner = alternation(p, rng);
    if (p.source[p.at] !== ')') throw new SyntaxError('unclosed group');
    p.at++;
    return inner;
  }
  if (c === '[') return charClass(p, rng);
  if (c === '\\') {
    p.at += 2;
    return escapeChar(p.source[p.at - 1] ?? '', rng);
  }
  if (c === '.') {
    p.at++;
    return rng.pick([...LOWER]);
  }
  if ('*+?{'.includes(c)) throw new SyntaxError('dangling quantifier');
  p.at++;
  return c;
}

function escapeChar(c: string, rng: Rng): string {
  switch (c) {
    case 'd':
      return rng.pick([...DIGITS]);
    case 'w':
      return rng.pick([...WORD]);
    case 's':
      return ' ';
    case 'D':
    case 'W':
    case 'S':
      throw new SyntaxError('negated escape');
    case 'n':
      return '\n';
    case 't':
      return '\t';
    default:
      return c;
  }
}

function charClass(p: Parser, rng: Rng): string {
  p.at++;
  if (p.source[p.at] === '^') throw new SyntaxError('negated class');
  const choices: string[] = [];
  while (p.at < p.source.length && p.source[p.at] !== ']') {
    let c = p.source[p.at++] ?? '';
    if (c === '\\') {
      const e = p.source[p.at++] ?? '';
      if (e === 'd') choices.push(...DIGITS);
      else if (e === 'w') choices.push(...WORD);
      else if (e === 's') choices.push(' ');
      else choices.push(e);
      continue;
    }
    if (p.source[p.at] === '-' && p.source[p.at + 1] !== ']' && p.at + 1 < p.source.length) {
      const end = p.source[p.at + 1] ?? c;
      p.at += 2;
      for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++)
        choices.push(String.fromCharCode(code));
      continue;
    }
    if (c === '') c = ' ';
    choices.push(c);
  }
  if (p.source[p.at] !== ']' || choices.length === 0) throw new SyntaxError('bad class');
  p.at++;
  return rng.pick(choices);
}

function quantifier(p: Parser): [number, number] {
  const c = p.source[p.at];
  let range: [number, number] = [1, 1];
  if (c === '?') range = [0, 1];
  else if (c === '*') range = [0, 4];
  else if (c === '+') range = [1, 4];
  else if (c === '{') {
    const close = p.source.indexOf('}', p.at);
    const body = close < 0 ? '' : p.source.slice(p.at + 1, close);
    const m = /^(\d+)(,(\d*))?$/.exec(body);
    if (m === null) throw new SyntaxError('bad quantifier');
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? min + 3 : Number(m[3]);
    p.at = close + 1;
    if (p.source[p.at] === '?') p.at++;
    return [min, max];
  } else {
    return range;
  }
  p.at++;
  if (p.source[p.at] === '?') p.at++;
  return range;
}
