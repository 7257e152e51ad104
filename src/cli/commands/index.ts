import type { Command } from 'commander';
import { registerServeCommand } from './serve.ts';
import { registerSimulateCommand } from './simulate.ts';

/** Every command, in the order `tollgate --help` lists them. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerSimulateCommand(program);
}
