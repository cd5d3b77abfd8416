// Opt-in security for the standalone: token authentication and a TLS broker port. Unset, the
// broker is configured exactly as before (no auth, no TLS).
//
//   PULSAR_AUTH_TOKEN_SECRET_KEY  file holding the raw HS256 secret key bytes (as
//                                 `pulsar tokens create-secret-key --output` writes it);
//                                 turns on token authentication
//   PULSAR_AUTH_SUPERUSER         role of the superuser the scripts and the broker's own
//                                 internal clients act as                  (magnetar-admin)
//   PULSAR_AUTH_REFRESH_CHECK_SECONDS  how often the broker looks for expired tokens and
//                                 challenges the client for a fresh one       (broker's, 60)
//   PULSAR_TLS_CERT               PEM server certificate; with PULSAR_TLS_KEY opens a TLS port
//   PULSAR_TLS_KEY                PEM private key of that certificate (PKCS#8)
//   PULSAR_TLS_PORT               the broker's pulsar+ssl:// port           (6651)
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PulsarScriptError, PulsarScriptErrorCode } from './errors.mjs';

const base64url = (data) => Buffer.from(data).toString('base64url');

/**
 * An HS256 JWT with `sub` = role, as Pulsar's AuthenticationProviderToken checks it.
 * `expiresAt` (epoch seconds) is left out when undefined: the token never expires.
 */
export function hs256Token(secret, role, expiresAt) {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = { sub: role, ...(expiresAt === undefined ? {} : { exp: expiresAt }) };
  const body = `${header}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function existingFile(env, name) {
  const path = resolve(env[name]);
  if (!existsSync(path)) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      `${name}=${env[name]}: no such file`,
    );
  }
  return path;
}

function refreshSeconds(env) {
  const raw = env.PULSAR_AUTH_REFRESH_CHECK_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      `PULSAR_AUTH_REFRESH_CHECK_SECONDS=${raw} is not a positive whole number of seconds`,
    );
  }
  return n;
}

/** The `auth` part of the settings, or undefined when token authentication is off. */
export function authSettings(env) {
  if (!env.PULSAR_AUTH_TOKEN_SECRET_KEY) return undefined;
  const secretKeyFile = existingFile(env, 'PULSAR_AUTH_TOKEN_SECRET_KEY');
  const superUser = env.PULSAR_AUTH_SUPERUSER || 'magnetar-admin';
  return {
    secretKeyFile,
    superUser,
    // Never expires: the broker's internal clients hold it for the broker's whole life.
    superUserToken: hs256Token(readFileSync(secretKeyFile), superUser),
    refreshCheckSeconds: refreshSeconds(env),
  };
}

/**
 * The `tls` part of the settings, or undefined when the broker has no TLS port.
 * `port` is PULSAR_TLS_PORT, already checked.
 */
export function tlsSettings(env, port) {
  const { PULSAR_TLS_CERT: cert, PULSAR_TLS_KEY: key } = env;
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    throw new PulsarScriptError(
      PulsarScriptErrorCode.BAD_ENV,
      'PULSAR_TLS_CERT and PULSAR_TLS_KEY go together: set both or neither',
    );
  }
  return {
    certFile: existingFile(env, 'PULSAR_TLS_CERT'),
    keyFile: existingFile(env, 'PULSAR_TLS_KEY'),
    port,
    serviceUrl: `pulsar+ssl://127.0.0.1:${port}`,
  };
}

/** standalone.conf lines for the settings' auth and TLS; empty when both are off. */
export function securityConfig(s) {
  const lines = [];
  if (s.auth) {
    lines.push(
      '### Token authentication (PULSAR_AUTH_TOKEN_SECRET_KEY); authenticationEnabled is above.',
      'authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken',
      `tokenSecretKey=${pathToFileURL(s.auth.secretKeyFile).href}`,
      `superUserRoles=${s.auth.superUser}`,
      // The standalone's own admin client (namespace setup) and the health check's client.
      'brokerClientAuthenticationPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
      `brokerClientAuthenticationParameters=token:${s.auth.superUserToken}`,
    );
    if (s.auth.refreshCheckSeconds !== undefined) {
      lines.push(`authenticationRefreshCheckSeconds=${s.auth.refreshCheckSeconds}`);
    }
  }
  if (s.tls) {
    lines.push(
      '### TLS broker port (PULSAR_TLS_CERT / PULSAR_TLS_KEY / PULSAR_TLS_PORT).',
      `brokerServicePortTls=${s.tls.port}`,
      `tlsCertificateFilePath=${s.tls.certFile}`,
      `tlsKeyFilePath=${s.tls.keyFile}`,
    );
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
}

/** client.conf lines so Pulsar's Java tools authenticate as the superuser. */
export function clientSecurityConfig(s) {
  if (!s.auth) return '';
  return (
    'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken\n' +
    `authParams=token:${s.auth.superUserToken}\n`
  );
}
