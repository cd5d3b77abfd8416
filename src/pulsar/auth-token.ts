import type { Authentication } from './connection.js';

/** A token, or a function that returns the current one (re-read on every CONNECT and challenge). */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * Pulsar's token authentication (`authMethodName: "token"`), as the official clients send it:
 * the JWT as `auth_data` in CONNECT, and again in AUTH_RESPONSE when the broker challenges
 * an expiring token. A function source lets a caller rotate the token.
 */
export class AuthenticationToken implements Authentication {
  readonly methodName = 'token';
  constructor(private readonly source: TokenSource) {}

  async getData(): Promise<string> {
    return typeof this.source === 'function' ? await this.source() : this.source;
  }
}
