import type { Command } from 'commander';
import { registerSimulateCommand } from './simulate.ts';

/** Every command, in the order `tollgate --help` lists them. */
export function registerCommands(program: Command): void {
  registerSimulateCommand(program);
}
