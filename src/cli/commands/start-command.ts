import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { startService } from '../../app/service.js';
import { SERVICE_EXTENSIONS } from '../../app/extensions.js';

/** `magnetar start`: the whole service in one process (API + event pipeline when present). */
export function addStartCommands(program: Command): void {
  program
    .command('start')
    .description('run the service: the HTTP API and the event consumers in one process')
    .action(async () => {
      await startService(loadConfig(), { extensions: SERVICE_EXTENSIONS.start });
    });
  program
    .command('api')
    .description('run only the HTTP API (consumers run in `magnetar worker` processes)')
    .action(async () => {
      await startService(loadConfig(), { extensions: SERVICE_EXTENSIONS.api });
    });
}
