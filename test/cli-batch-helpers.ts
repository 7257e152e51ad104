import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../src/ledger/index.ts';
import { type CliWorld, parseJsonl } from './cli-helpers.ts';

/** 20 lines in every accepted form: a bare prompt, {"prompt"}, {"messages"}; some with ids. */
export function writeInput(world: CliWorld, name: string, count = 20): { path: string; ids: string[] } {
  const lines: string[] = [];
  const ids: string[] = [];
  for (let n = 1; n <= count; n += 1) {
    if (n % 3 === 0) {
      lines.push(JSON.stringify(`Prompt number ${n}`));
      ids.push(JSON.stringify(n));
    } else if (n % 3 === 1) {
      lines.push(JSON.stringify({ id: `p-${n}`, prompt: `Tell me about ${n}` }));
      ids.push(JSON.stringify(`p-${n}`));
    } else {
      lines.push(JSON.stringify({ id: `m-${n}`, messages: [{ role: 'user', content: `Message ${n}` }] }));
      ids.push(JSON.stringify(`m-${n}`));
    }
  }
  const path = join(world.dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, ids };
}

export function outputIds(path: string): string[] {
  return parseJsonl(existsSync(path) ? readFileSync(path, 'utf8') : '').map((record) =>
    JSON.stringify(record.id),
  );
}

export async function ledgerRows(world: CliWorld, module: string) {
  const ledger = await openLedger({ url: world.db, heartbeatMs: 0 });
  try {
    return await ledger.reports.recent({ filters: { module }, limit: 1000 });
  } finally {
    await ledger.close();
  }
}

export interface Summary {
  stopReason: string;
  exitCode: number;
  done: number;
  failed: number;
  skipped: number;
  spentUsd: string;
  totalSpentUsd: string;
}
