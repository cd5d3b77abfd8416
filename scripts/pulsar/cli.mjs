#!/usr/bin/env node
// The project's Apache Pulsar standalone, from Maven Central artifacts:
//   node scripts/pulsar/cli.mjs start [--json]   resolve (first time), start, wait until ready
//        --lease PID: start on behalf of a test run (see leases.mjs)
//   node scripts/pulsar/cli.mjs release --lease PID   end that use; stops a broker started for
//                                                tests once no test run uses it
//   node scripts/pulsar/cli.mjs stop [--wipe]    stop the broker started here; --wipe deletes its data
//   node scripts/pulsar/cli.mjs status           exit 0 if a ready broker answers, 1 if not
//   node scripts/pulsar/cli.mjs install          only resolve the jars into the cache
//   node scripts/pulsar/cli.mjs tools-env        shell assignments for the Java tool wrappers
// Ports and paths come from the environment: see settings.mjs.
import { join } from 'node:path';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';
import { ensureInstalled } from './install.mjs';
import { pulsarStatus, releasePulsar, startPulsar, stopPulsar } from './lifecycle.mjs';
import { LOG4J_CONF, writeClientConfig } from './broker-process.mjs';
import { pulsarSettings } from './settings.mjs';

const shellQuote = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;

const usage = () =>
  new PulsarScriptError(
    PulsarScriptErrorCode.USAGE,
    'usage: cli.mjs start [--json] [--lease PID] | release --lease PID | stop [--wipe] | status | install | tools-env',
  );

/** `--lease PID`: the process on whose behalf a test run starts or releases the broker. */
function leaseArg(rest) {
  const i = rest.indexOf('--lease');
  if (i < 0) return undefined;
  const pid = Number(rest[i + 1]);
  if (!Number.isInteger(pid) || pid <= 0) throw usage();
  return pid;
}

async function main(argv) {
  const [command, ...rest] = argv;
  const s = pulsarSettings();
  switch (command) {
    case 'start':
      await startPulsar(s, { lease: leaseArg(rest) });
      // For the test helper: where the ready broker is, as one JSON line on stdout.
      if (rest.includes('--json')) {
        const { serviceUrl, adminUrl, brokerPort, webPort } = s;
        const tlsServiceUrl = s.tls?.serviceUrl;
        console.log(JSON.stringify({ serviceUrl, adminUrl, brokerPort, webPort, tlsServiceUrl }));
      }
      return 0;
    case 'stop':
      await stopPulsar(s, { wipe: rest.includes('--wipe') });
      return 0;
    case 'release': {
      const lease = leaseArg(rest);
      if (lease === undefined) throw usage();
      await releasePulsar(s, lease);
      return 0;
    }
    case 'status': {
      const st = await pulsarStatus(s);
      const who = st.pid
        ? `pid ${st.pid}, started by these scripts`
        : 'not started by these scripts';
      if (st.ready) {
        console.log(`ready: ${st.serviceUrl}, admin ${st.adminUrl} (${who}); log ${st.logFile}`);
        return 0;
      }
      console.log(`not ready at ${st.adminUrl}: ${st.step}: ${st.detail} (${who})`);
      return 1;
    }
    case 'install':
      await ensureInstalled(s);
      return 0;
    case 'tools-env':
      await ensureInstalled(s);
      writeClientConfig(s);
      console.log(`PULSAR_TOOLS_CP=${shellQuote(join(s.toolsLib, '*'))}`);
      console.log(`PULSAR_CLIENT_CONF=${shellQuote(s.clientConf)}`);
      console.log(`PULSAR_LOG4J_CONF=${shellQuote(LOG4J_CONF)}`);
      return 0;
    default:
      throw usage();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof PulsarScriptError) {
      console.error(`${err.code}: ${err.message}`);
      process.exit(err.code === PulsarScriptErrorCode.USAGE ? 64 : 1);
    }
    console.error(err);
    process.exit(1);
  },
);
