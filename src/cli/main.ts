#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { BrokerError } from '../broker/index.js';
import { TokenRequestError } from '../http/tokens.js';
import { JwtSecretError } from '../app/jwt-secret.js';
import { StartupPathError } from '../app/startup-paths.js';
import { DataFileError, type DataFileProblem } from '../shared/data-file-error.js';
import { addStartCommands } from './commands/start-command.js';
import { addTokenCommand } from './commands/token-command.js';
import { addPipelineCommands } from './commands/pipeline-commands.js';
import { CliArgumentError } from './commands/args.js';
import { guardStdout } from './output.js';

/** Exit status for a bad configuration or bad arguments (sysexits EX_USAGE / EX_CONFIG). */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
/** The broker could not be reached at start (sysexits EX_UNAVAILABLE). */
const EXIT_UNAVAILABLE = 69;
/** A database file in the data dir this build cannot use as it is (sysexits EX_DATAERR). */
const EXIT_DATA = 65;

/**
 * A database file that is not a database, corrupt, or newer than this build: no setting and
 * no retry fixes that, the file does (moved away, restored, or opened by the newer build). One
 * it may not write is a setup problem, like a data dir it may not write. One locked by another
 * process past the wait: the service database's is 1 (anything else); the broker's is its own
 * error (69, below).
 */
const DATA_FILE_EXITS: Record<DataFileProblem, number> = {
  'not-a-database': EXIT_DATA,
  corrupt: EXIT_DATA,
  'newer-schema': EXIT_DATA,
  'read-only': EXIT_CONFIG,
  locked: 1,
};

/** The DataFileError behind `err`: thrown as it is (service database) or by the broker. */
function dataFileError(err: unknown): DataFileError | undefined {
  if (err instanceof DataFileError) return err;
  const cause = err instanceof BrokerError ? err.cause : undefined;
  return cause instanceof DataFileError && cause.problem !== 'locked' ? cause : undefined;
}

/** Failures of listen() a user causes and can fix, reported without a stack trace. */
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'no permission to use the port',
  EADDRNOTAVAIL: 'the host address is not available on this machine',
};

/** The host name did not resolve (getaddrinfo); EAI_AGAIN is a DNS server that did not answer. */
const RESOLVE_ERRORS: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (DNS did not answer)',
};

/**
 * Broker errors that are the caller's doing (a value the broker refused): bad arguments.
 * Everything else (NotConnected, Timeout, a refused token...) means the broker cannot serve.
 */
const BROKER_USAGE_CODES = new Set(['InvalidArgument', 'MessageTooBig', 'TopicNotFound']);

const program = new Command()
  .name('magnetar')
  .description('Magnetar: event-driven service toolkit and reference service')
  .exitOverride();
addStartCommands(program);
addTokenCommand(program);
addPipelineCommands(program);

// The reader of our output may go away (`magnetar consume ... | head -1`): see output.ts.
guardStdout();

// `magnetar` alone runs the service. Not commander's isDefault: that would hand an unknown
// command to `start` as an argument ("too many arguments for 'start'").
const argv = process.argv.length > 2 ? process.argv : [...process.argv, 'start'];

try {
  await program.parseAsync(argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  if (
    err instanceof ConfigError ||
    err instanceof JwtSecretError ||
    err instanceof StartupPathError
  ) {
    process.stderr.write(`magnetar: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const fileError = dataFileError(err);
  if (fileError) {
    process.stderr.write(`magnetar: ${fileError.message}\n`);
    process.exit(DATA_FILE_EXITS[fileError.problem]);
  }
  if (err instanceof CliArgumentError) {
    process.stderr.write(`magnetar: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (err instanceof TokenRequestError) {
    process.stderr.write(`magnetar token: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (err instanceof BrokerError && BROKER_USAGE_CODES.has(err.code)) {
    process.stderr.write(`magnetar: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (err instanceof BrokerError) {
    // Internal: the broker answered with an error of its own (or the client failed), which
    // is not the same as not being there.
    const what =
      err.code === 'NotAllowed'
        ? 'broker refused'
        : err.code === 'ConsumerBusy'
          ? 'subscription busy'
          : err.code === 'Internal'
            ? 'broker error'
            : 'broker unavailable';
    process.stderr.write(`magnetar: ${what} (${err.code}): ${err.message}\n`);
    process.exit(EXIT_UNAVAILABLE);
  }
  const errno = err as NodeJS.ErrnoException & { hostname?: string; portVariable?: string };
  const listenProblem = LISTEN_ERRORS[errno.code ?? ''];
  if (listenProblem) {
    const port = errno.portVariable ?? 'PORT';
    process.stderr.write(`magnetar: cannot listen: ${listenProblem} (set ${port} / HOST)\n`);
    process.exit(1);
  }
  const resolveProblem = errno.syscall === 'getaddrinfo' && RESOLVE_ERRORS[errno.code ?? ''];
  if (resolveProblem) {
    const host = JSON.stringify(errno.hostname ?? '');
    process.stderr.write(`magnetar: cannot listen: ${resolveProblem}: ${host} (set HOST)\n`);
    process.exit(1);
  }
  process.stderr.write(
    `magnetar: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}
