import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * Where a gateway CPU profile (`npm run bench -- --profile DIR`) spends its busy time, by part of
 * tollgate: each sample is charged to the innermost frame that belongs to a known part (so
 * undici's work under the client counts as the client's, SQLite's under the ledger as the
 * ledger's), and the top functions by self time are listed after.
 *
 *   node bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top 25]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const PARTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/src\/ledger\/|node_modules\/(kysely|better-sqlite3|pg)/, 'ledger (SQLite/PostgreSQL writes)'],
  [/src\/client\/|node_modules\/undici/, 'client + undici (upstream call)'],
  [/stream-relay|sse-framing|pump-body/, 'stream relay'],
  [/src\/pricing\/|src\/shared\/money/, 'pricing'],
  [/src\/metering\//, 'metering'],
  [/node_modules\/(fastify|find-my-way|@fastify)|src\/gateway\/app\.ts/, 'fastify'],
  [/node_modules\/prom-client|src\/gateway\/metrics/, 'metrics'],
  [/node_modules\/pino/, 'logging'],
  [/src\/gateway\//, 'gateway (other)'],
  [/node:internal\/(modules|deps\/amaro|bootstrap)/, 'start-up (module loading)'],
];

function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });

  let busy = 0;
  let idle = 0;
  const byPart = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfTime) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    busy += micros;
    const frame = node.callFrame;
    const where = frame.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/');
    const fn = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    let part: string | undefined;
    for (let at: number | undefined = id; at !== undefined && !part; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      part = PARTS.find(([pattern]) => pattern.test(url))?.[1];
    }
    const label = part ?? `node (${frame.functionName || 'anonymous'})`;
    byPart.set(label, (byPart.get(label) ?? 0) + micros);
  }

  const lines = [`busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`, '', 'by part:'];
  const row = (micros: number, label: string) =>
    `${((100 * micros) / busy).toFixed(1).padStart(6)}%  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${label}`;
  for (const [label, micros] of [...byPart].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(row(micros, label));
  lines.push('', 'top functions by self time:');
  for (const [label, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(row(micros, label));
  return lines.join('\n');
}

const USAGE = 'usage: node bench/profile-summary.ts <file.cpuprofile>… [--top N]\n';

/** Exits with the usage on a bad command line rather than parseArgs's stack trace. */
function exitWithUsage(problem: string): never {
  process.stderr.write(`profile-summary: ${problem}\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine(): { files: string[]; top: number } {
  const parse = () =>
    parseArgs({ allowPositionals: true, options: { top: { type: 'string' }, help: { type: 'boolean' } } });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    exitWithUsage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length === 0) exitWithUsage('name at least one .cpuprofile file');
  const top = values.top === undefined ? 20 : Number(values.top);
  if (!Number.isInteger(top) || top < 1)
    exitWithUsage(`--top takes a whole number of at least 1, not ${JSON.stringify(values.top)}`);
  return { files: positionals, top };
}

const { files, top } = parseCommandLine();
for (const file of files) {
  let profile: CpuProfile;
  try {
    profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  } catch (error) {
    process.stderr.write(`${file}: not a readable .cpuprofile (${String(error)})\n`);
    process.exit(1);
  }
  process.stdout.write(`${file}\n${summarize(profile, top)}\n\n`);
}
