// Resolves the broker and the Java tools from Maven Central into the cache, once.
// A marker file records what was resolved and from which pom; while it matches, nothing here
// touches the network or runs Maven.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';
import { BROKER_VERSION, MAVEN_SETTINGS, POM, TOOLS_VERSION } from './settings.mjs';
import { withLock } from './lock.mjs';

/** Major version of the `java` on PATH; throws a typed error if there is none or it is < 17. */
export function javaMajorVersion() {
  const res = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.JAVA_MISSING,
      'no `java` on PATH: Apache Pulsar needs Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)',
      { cause: res.error },
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(res.stderr);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.JAVA_MISSING,
      `Apache Pulsar ${BROKER_VERSION} needs Java 17 or newer; \`java -version\` says: ${res.stderr.split('\n')[0]}`,
    );
  }
  return major;
}

/** True when the cache holds exactly what the current pom asks for. */
export function isInstalled(s) {
  if (!existsSync(s.installMarker)) return false;
  try {
    const marker = JSON.parse(readFileSync(s.installMarker, 'utf8'));
    return (
      marker.brokerVersion === BROKER_VERSION &&
      marker.toolsVersion === TOOLS_VERSION &&
      marker.pomDigest === s.resolutionDigest &&
      existsSync(s.brokerLib) &&
      existsSync(s.toolsLib)
    );
  } catch {
    return false;
  }
}

function copyDependencies(s, profile, outDir, log) {
  const args = [
    '-B',
    '-q',
    '-Dstyle.color=never',
    '-s',
    MAVEN_SETTINGS,
    '-f',
    POM,
    '-P',
    profile,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${outDir}`,
  ];
  if (s.mavenRepo) args.push(`-Dmaven.repo.local=${s.mavenRepo}`);
  log(`resolving the Pulsar ${profile} jars from Maven Central (mvn ${args.slice(5).join(' ')})`);
  const res = spawnSync('mvn', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.MAVEN_MISSING,
      'no `mvn` on PATH: the first start resolves Pulsar from Maven Central with Maven 3.6+ (Debian: apt-get install maven)',
      { cause: res.error },
    );
  }
  if (res.status !== 0) {
    const out = `${res.stdout}\n${res.stderr}`.trim();
    throw new PulsarScriptError(
      PulsarScriptErrorCode.RESOLVE_FAILED,
      `Maven could not resolve the Pulsar ${profile} jars (profile ${profile} of ${POM}):\n${out}`,
    );
  }
}

/**
 * Makes sure the broker and tool jars are in the cache. Safe to call from several processes at
 * once: the first resolves, the others wait for it and then find the marker.
 * @returns {Promise<boolean>} true if this call resolved anything
 */
export async function ensureInstalled(s, log = console.error) {
  if (isInstalled(s)) return false;
  javaMajorVersion();
  return withLock(
    s.installLock,
    20 * 60 * 1000,
    async () => {
      if (isInstalled(s)) return false;
      const staging = `${s.runtimeDir}.staging-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      const started = Date.now();
      try {
        copyDependencies(s, 'broker', join(staging, 'broker-lib'), log);
        copyDependencies(s, 'tools', join(staging, `tools-${TOOLS_VERSION}-lib`), log);
        const marker = {
          brokerVersion: BROKER_VERSION,
          toolsVersion: TOOLS_VERSION,
          pomDigest: s.resolutionDigest,
          resolvedAt: new Date().toISOString(),
          resolveSeconds: Math.round((Date.now() - started) / 100) / 10,
        };
        writeFileSync(join(staging, 'installed.json'), `${JSON.stringify(marker, null, 2)}\n`);
        rmSync(s.runtimeDir, { recursive: true, force: true });
        renameSync(staging, s.runtimeDir);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
      log(`Pulsar ${BROKER_VERSION} (tools ${TOOLS_VERSION}) cached in ${s.runtimeDir}`);
      return true;
    },
    (owner) =>
      log(`waiting for pid ${owner ?? '?'} to finish resolving Pulsar into ${s.runtimeDir}`),
  );
}
