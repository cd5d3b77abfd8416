import { CONFIG_SCHEMA, type Config } from './schema.js';

export interface ConfigProblem {
  env: string;
  expects: string;
  got: string;
}

/** A bad configuration value; the message names every offending variable. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      'Invalid configuration:\n' +
        problems
          .map((p) => `  ${p.env} must be ${p.expects} (got ${JSON.stringify(p.got)})`)
          .join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Reads and validates every variable of CONFIG_SCHEMA from `env`. Empty strings count as
 * unset. Throws ConfigError listing all bad values at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[key] = spec.default;
      continue;
    }
    const value = (spec.parser.parse as (raw: string) => unknown)(raw);
    if (value === undefined)
      problems.push({ env: spec.env, expects: spec.parser.expects, got: raw });
    else out[key] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}
