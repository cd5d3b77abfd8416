import { codeForStatus, PulsarAdminError } from './admin-error.js';

export interface AdminHttpOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Per request. Default 30000. */
  timeoutMs?: number;
}

/** A JSON body already serialized: 64-bit ids would lose precision in JSON.stringify. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Body = string | number | boolean | object | RawJson | undefined;

/** One admin REST call; JSON in, JSON (or nothing) out, failures as PulsarAdminError. */
export class AdminHttp {
  private readonly baseUrl: string;

  constructor(private readonly options: AdminHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async json<T>(method: string, path: string, body?: Body): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async send(method: string, path: string, body?: Body): Promise<void> {
    const res = await this.request(method, path, body);
    await res.arrayBuffer();
  }

  async request(method: string, path: string, body?: Body): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body:
          body === undefined
            ? undefined
            : body instanceof RawJson
              ? body.text
              : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (cause) {
      const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
      throw new PulsarAdminError(
        timedOut ? 'Timeout' : 'ConnectError',
        0,
        `${method} ${path}: ${timedOut ? 'no answer in time' : 'cannot reach the admin service'}`,
        { cause },
      );
    }
    if (!res.ok) {
      throw new PulsarAdminError(
        codeForStatus(res.status),
        res.status,
        `${method} ${path}: ${await reason(res)}`,
      );
    }
    return res;
  }
}

/** Pulsar answers errors as `{"reason": "..."}`; fall back to the status text. */
async function reason(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { reason?: string };
    if (parsed.reason) return parsed.reason;
  } catch {
    // not JSON
  }
  return text.slice(0, 200) || `HTTP ${res.status}`;
}
