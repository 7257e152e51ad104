import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The direction of dependence from design.md, made executable: which top-level module under src/
 * may import which. Anything not listed here is refused, so a new module has to be placed on purpose.
 */
const ALLOWED: Record<string, readonly string[]> = {
  shared: [],
  config: ['shared'],
  client: ['shared'],
  simulator: ['shared'],
  pricing: ['shared', 'client'],
  ledger: ['shared', 'pricing'],
  metering: ['shared', 'config', 'client', 'pricing', 'ledger'],
  library: ['shared', 'config', 'client', 'pricing', 'ledger', 'metering'],
  gateway: ['shared', 'config', 'client', 'pricing', 'ledger', 'metering'],
  dashboard: ['shared', 'ledger'],
  cli: ['*'],
  'index.ts': ['*'],
};

/** The simulator must compute what it bills by its own code: these shared files are off limits to it. */
const SIMULATOR_FORBIDDEN_SHARED = ['shared/money.ts', 'shared/sse/decoder.ts'];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  const dynamic = [...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
  return [...specifiers, ...dynamic].filter((s): s is string => s?.startsWith('.') === true);
}

function moduleOf(pathInSrc: string): string {
  return pathInSrc.split('/')[0] ?? pathInSrc;
}

const edges = sourceFiles(src).flatMap((file) => {
  const from = relative(src, file);
  return importsOf(file).map((specifier) => ({ from, to: relative(src, resolve(dirname(file), specifier)) }));
});

describe('architecture', () => {
  it('finds the source tree', () => {
    expect(edges.length).toBeGreaterThan(0);
  });

  it('keeps every import inside the allowed direction of dependence', () => {
    const violations = edges.filter(({ from, to }) => {
      const fromModule = moduleOf(from);
      const toModule = moduleOf(to);
      if (fromModule === toModule) return false;
      const allowed = ALLOWED[fromModule];
      if (allowed === undefined) return true;
      return !(allowed.includes('*') || allowed.includes(toModule));
    });
    expect(violations).toEqual([]);
  });

  it('reaches other modules only through their index.ts (shared is a folder of leaves)', () => {
    const violations = edges.filter(({ from, to }) => {
      const toModule = moduleOf(to);
      if (moduleOf(from) === toModule || toModule === 'shared') return false;
      return to !== `${toModule}/index.ts`;
    });
    expect(violations).toEqual([]);
  });

  it('keeps the simulator independent of the code it is meant to test', () => {
    const violations = edges.filter(
      ({ from, to }) => moduleOf(from) === 'simulator' && SIMULATOR_FORBIDDEN_SHARED.includes(to),
    );
    expect(violations).toEqual([]);
  });

  it('has no import cycles between modules', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of edges) {
      const a = moduleOf(from);
      const b = moduleOf(to);
      if (a === b || a === 'index.ts') continue;
      graph.set(a, (graph.get(a) ?? new Set()).add(b));
    }
    const cycles: string[] = [];
    const visit = (node: string, stack: string[]) => {
      if (stack.includes(node)) {
        cycles.push([...stack.slice(stack.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const next of graph.get(node) ?? []) visit(next, [...stack, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
