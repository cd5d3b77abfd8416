import {
  boolean,
  corsOrigins,
  integer,
  oneOf,
  pulsarServiceUrl,
  text,
  url,
  type Parser,
} from './parsers.js';

export interface VarSpec<T, D extends T | undefined = T | undefined> {
  readonly env: string;
  readonly parser: Parser<T>;
  readonly default: D;
  readonly doc: string;
}

function v<T, D extends T | undefined>(env: string, parser: Parser<T>, def: D, doc: string) {
  return { env, parser, default: def, doc } as VarSpec<T, D>;
}

/**
 * Every environment variable Magnetar reads. Adding one is one line here; it is then
 * validated at start, typed on `Config`, and must appear in the README's configuration table
 * (test/app/config.test.ts checks).
 */
export const CONFIG_SCHEMA = {
  port: v('PORT', integer(0, 65535), 3000, 'TCP port of the HTTP API (0 picks a free port)'),
  host: v('HOST', text(), '127.0.0.1', 'Address to listen on; 0.0.0.0 in containers'),
  workerPort: v(
    'MAGNETAR_WORKER_PORT',
    integer(0, 65535),
    undefined,
    'magnetar worker: serve /healthz, /readyz and /metrics on this port (unset: no HTTP)',
  ),
  broker: v('MAGNETAR_BROKER', oneOf('embedded', 'pulsar'), 'embedded', 'Which broker to use'),
  brokerSync: v(
    'MAGNETAR_BROKER_SYNC',
    oneOf('FULL', 'NORMAL'),
    'FULL',
    'Embedded broker durability: FULL survives power loss, NORMAL a process crash (faster)',
  ),
  dataDir: v(
    'MAGNETAR_DATA_DIR',
    text(),
    './data',
    'Directory of the SQLite files and the generated JWT secret',
  ),
  pulsarServiceUrl: v(
    'PULSAR_SERVICE_URL',
    pulsarServiceUrl(),
    'pulsar://localhost:6650',
    'Pulsar binary protocol URL; several hosts after commas (pulsar://a:6650,b:6650)',
  ),
  pulsarAdminUrl: v(
    'PULSAR_ADMIN_URL',
    url('http:', 'https:'),
    'http://localhost:8080',
    'Pulsar admin REST URL',
  ),
  pulsarToken: v(
    'PULSAR_TOKEN',
    text(),
    undefined,
    'Pulsar token authentication (JWT), if the cluster needs it',
  ),
  jwtSecret: v(
    'MAGNETAR_JWT_SECRET',
    text(32),
    undefined,
    'HS256 secret for API tokens; default: generated once into the data dir',
  ),
  logLevel: v(
    'LOG_LEVEL',
    oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    'info',
    'Log level',
  ),
  logFormat: v('LOG_FORMAT', oneOf('json', 'pretty'), 'json', 'Log line format on stdout'),
  logFile: v('LOG_FILE', text(), undefined, 'Also write JSON log lines to this file'),
  rateLimitMax: v(
    'MAGNETAR_RATE_LIMIT_MAX',
    integer(0, 1_000_000_000),
    1000,
    'Requests per client per window; 0 turns rate limiting off',
  ),
  rateLimitWindowMs: v(
    'MAGNETAR_RATE_LIMIT_WINDOW_MS',
    integer(1, 86_400_000),
    60_000,
    'Rate limit window in ms',
  ),
  bodyLimitBytes: v(
    'MAGNETAR_BODY_LIMIT_BYTES',
    integer(1, 104_857_600),
    1_048_576,
    'Largest accepted request body in bytes',
  ),
  corsOrigin: v(
    'MAGNETAR_CORS_ORIGIN',
    corsOrigins(),
    '*',
    'Allowed CORS origins: *, false, or a comma-separated list',
  ),
  maxEventLoopDelayMs: v(
    'MAGNETAR_MAX_EVENT_LOOP_DELAY_MS',
    integer(0, 60_000),
    1000,
    'Shed load (503) above this event loop delay; 0 turns it off',
  ),
  requestTimeoutMs: v(
    'MAGNETAR_REQUEST_TIMEOUT_MS',
    integer(0, 3_600_000),
    30_000,
    'A request (headers and body) must arrive within this, else 408; 0 turns it off',
  ),
  shutdownTimeoutMs: v(
    'MAGNETAR_SHUTDOWN_TIMEOUT_MS',
    integer(0, 600_000),
    10_000,
    'How long shutdown waits for in-flight requests',
  ),
  shutdownDrainMs: v(
    'MAGNETAR_SHUTDOWN_DRAIN_MS',
    integer(0, 60_000),
    1000,
    'On shutdown, how long open connections keep getting 503 answers before they are closed',
  ),
  trustProxy: v(
    'MAGNETAR_TRUST_PROXY',
    boolean(),
    false,
    'Take the client IP from X-Forwarded-For',
  ),
  otlpEndpoint: v(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    url('http:', 'https:'),
    undefined,
    'Export OpenTelemetry traces over OTLP/HTTP to this collector (traces go to /v1/traces); unset: no tracing',
  ),
  otlpTracesEndpoint: v(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    url('http:', 'https:'),
    undefined,
    'The same, as the full URL of the traces endpoint',
  ),
  otelSdkDisabled: v(
    'OTEL_SDK_DISABLED',
    boolean(),
    false,
    'true: no tracing, whatever the endpoint',
  ),
  otelServiceName: v('OTEL_SERVICE_NAME', text(), 'magnetar', 'service.name of the exported spans'),
};

type Schema = typeof CONFIG_SCHEMA;

/** The validated configuration; a variable without a default is optional. */
export type Config = {
  readonly [K in keyof Schema]: Schema[K] extends VarSpec<infer T, infer D>
    ? undefined extends D
      ? T | undefined
      : T
    : never;
};
