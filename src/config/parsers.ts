/**
 * Parsers for environment variables. Each knows what it expects, so a bad value can be
 * reported as "VAR must be <expects> (got "...")".
 */
import { parseServiceHosts } from '../pulsar/transport.js';

export interface Parser<T> {
  readonly expects: string;
  /** The parsed value, or undefined when `raw` is not acceptable. */
  parse(raw: string): T | undefined;
}

export function integer(min: number, max: number): Parser<number> {
  return {
    expects: `an integer from ${min} to ${max}`,
    parse(raw) {
      if (!/^-?\d+$/.test(raw.trim())) return undefined;
      const n = Number(raw);
      return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
    },
  };
}

export function oneOf<const T extends string>(...values: T[]): Parser<T> {
  return {
    expects: `one of ${values.join(', ')}`,
    parse: (raw) => ((values as string[]).includes(raw.trim()) ? (raw.trim() as T) : undefined),
  };
}

export function text(minLength = 1): Parser<string> {
  return {
    expects: minLength > 1 ? `a string of at least ${minLength} characters` : 'a non-empty string',
    parse: (raw) => (raw.length >= minLength ? raw : undefined),
  };
}

export function url(...protocols: string[]): Parser<string> {
  return {
    expects: `a URL (${protocols.map((p) => `${p}//`).join(' or ')})`,
    parse(raw) {
      try {
        const u = new URL(raw.trim());
        return protocols.includes(u.protocol) ? raw.trim() : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** A Pulsar service URL, read as the client reads it: one host or several after commas. */
export function pulsarServiceUrl(): Parser<string> {
  return {
    expects: 'a URL (pulsar:// or pulsar+ssl://) of host[:port], several separated by commas',
    parse(raw) {
      try {
        parseServiceHosts(raw);
        return raw.trim();
      } catch {
        return undefined;
      }
    },
  };
}

export function boolean(): Parser<boolean> {
  return {
    expects: 'true or false',
    parse(raw) {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      return undefined;
    },
  };
}

/** `*`, or a comma-separated list of origins, or `false` to send no CORS headers. */
export function corsOrigins(): Parser<'*' | string[] | false> {
  return {
    expects: '*, false, or a comma-separated list of origins like https://app.example.com',
    parse(raw) {
      const v = raw.trim();
      if (v === '*' || v === 'true') return '*';
      if (v === 'false' || v === '') return false;
      const list = v.split(',').map((s) => s.trim());
      return list.every((o) => /^https?:\/\/[^\s/]+$/.test(o)) ? list : undefined;
    },
  };
}
