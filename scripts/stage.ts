/**
 * `npm run stage -- <stage> [set <option>=<value>… | unset <option>…]`: shows or changes the
 * options saved for a stage in deploy/<stage>.json (lib/config/stage-command.ts). Exit code 2 for
 * a refused value, with one line naming the option; nothing is written then.
 */
import { CommanderError } from 'commander';
import { runStageCommand } from '../lib/config/stage-command';

try {
  await runStageCommand(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof CommanderError)) console.error(`stage: ${(error as Error).message}`);
  process.exit(error instanceof CommanderError ? error.exitCode : 2);
}
