import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { resolveJwtSecret } from '../../app/jwt-secret.js';
import { prepareDataDir } from '../../app/startup-paths.js';
import { parseDuration, signToken } from '../../http/tokens.js';

/** `magnetar token --sub NAME --scope a,b [--ttl 1h]`: prints a bearer token the API accepts. */
export function addTokenCommand(program: Command): void {
  program
    .command('token')
    .description('print an API access token signed with the service secret')
    .requiredOption('--sub <name>', 'token subject (who the caller is)')
    .option('--scope <scopes>', 'comma-separated scopes: users:write, events:write, admin', '')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 1h, 7d', '1h')
    .action((opts: { sub: string; scope: string; ttl: string }) => {
      const config = loadConfig();
      if (!config.jwtSecret) prepareDataDir(config);
      const { secret } = resolveJwtSecret(config.jwtSecret, config.dataDir);
      const scopes = opts.scope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const token = signToken(secret, {
        subject: opts.sub,
        scopes,
        ttlMs: parseDuration(opts.ttl),
      });
      process.stdout.write(token + '\n');
    });
}
