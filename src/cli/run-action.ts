/**
 * Runs a command's body: any throw becomes `tollgate <command>: <one line>` and an exit code,
 * never a stack trace. Kept light: a usage error is reported without loading the modules whose
 * errors `describe-error.ts` knows, so a mistyped flag answers at once.
 */
import { UsageError } from './flags.ts';

export async function runAction(command: string, body: () => Promise<unknown>): Promise<void> {
  try {
    const code = await body();
    if (typeof code === 'number') process.exitCode = code;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tollgate ${command}: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const { describeError } = await import('./describe-error.ts');
    const described = describeError(error);
    process.stderr.write(`tollgate ${command}: ${described.message}\n`);
    process.exitCode = described.exitCode;
  }
}
