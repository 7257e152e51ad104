import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { guardStdout } from './stdout-closed.ts';

/**
 * The `tollgate` command line. Command files only declare their options and import the modules
 * they drive lazily inside their action, so `tollgate --help` starts in milliseconds.
 */
export async function main(argv: readonly string[]): Promise<void> {
  // Before anything is printed: a reader that leaves early (`| head`) must not crash a command.
  guardStdout();
  const program = new Command()
    .name('tollgate')
    .description('Metered, attributed, budgeted access to OpenRouter.')
    .version(await readPackageVersion(), '-V, --version')
    .exitOverride()
    // Errors stay on one line (commander puts its "Did you mean…?" on a second one).
    .configureOutput({ outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')}\n`) });
  registerCommands(program);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`tollgate: ${message}\n`);
    process.exitCode = 1;
  }
}

async function readPackageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed
    ? String(parsed.version)
    : '0.0.0';
}
