import { type Command, CommanderError } from 'commander';
import { registerBatchCommand } from './batch.ts';
import { registerBudgetsCommand } from './budgets.ts';
import { registerChatCommand } from './chat.ts';
import { registerCreditsCommand } from './credits.ts';
import { registerDoctorCommand } from './doctor.ts';
import { registerDriftCommand } from './drift.ts';
import { registerGenerationCommand } from './generation.ts';
import { registerKeysCommand } from './keys.ts';
import { registerModelsCommand } from './models.ts';
import { registerOpenRouterKeysCommand } from './openrouter-keys.ts';
import { registerReconcileCommand } from './reconcile.ts';
import { registerRequestsCommand } from './requests.ts';
import { registerServeCommand } from './serve.ts';
import { registerSimulateCommand } from './simulate.ts';
import { registerSpendCommand } from './spend.ts';

/** Commander's parse errors: the command line itself is wrong, so they exit 2 like our own flag errors. */
const USAGE_ERRORS = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.conflictingOption',
  'commander.excessArguments',
  'commander.invalidArgument',
  'commander.help',
]);

/** Every command, in the order `tollgate --help` lists them. */
export function registerCommands(program: Command): void {
  // Set before the commands are created: subcommands copy the exit callback when they are made.
  program.exitOverride((error) => {
    if (USAGE_ERRORS.has(error.code) && error.exitCode !== 0) {
      throw new CommanderError(2, error.code, error.message);
    }
    throw error;
  });
  registerServeCommand(program);
  registerSimulateCommand(program);
  registerChatCommand(program);
  registerBatchCommand(program);
  registerModelsCommand(program);
  registerCreditsCommand(program);
  registerGenerationCommand(program);
  registerSpendCommand(program);
  registerRequestsCommand(program);
  registerDriftCommand(program);
  registerBudgetsCommand(program);
  registerKeysCommand(program);
  registerOpenRouterKeysCommand(program);
  registerReconcileCommand(program);
  registerDoctorCommand(program);
}
