/**
 * The parser of `application/json` request bodies, in place of Fastify's default one, which
 * decodes every body as UTF-8 whatever its charset says and reports every refusal as "not
 * valid JSON". JSON between systems is UTF-8 (RFC 8259, section 8.1), so:
 * - a body labelled with another charset is a 415, not text silently decoded wrong (an
 *   ISO-8859-1 `é` would otherwise be stored as U+FFFD);
 * - a body that is not valid UTF-8 is a 400, not text with replacement characters;
 * - a `__proto__` key (or `constructor.prototype`) is refused as it is with Fastify's parser,
 *   but the answer names the key instead of calling valid JSON invalid;
 * - a string with a lone surrogate escape (`"\ud800"`) is refused: it has no UTF-8 form, so
 *   it could be stored but never sent back or matched by a URL.
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import contentType from 'content-type';
import secureJson from 'secure-json-parse';
import { AppError } from './errors.js';

const PARSE_OPTIONS = { protoAction: 'error', constructorAction: 'error' } as const;
/** US-ASCII is a subset of UTF-8; `utf8` is a common misspelling of it. */
const UTF8_NAMES = new Set(['utf-8', 'utf8', 'us-ascii']);
/** Longer than this, a Content-Type may carry parameters. */
const BARE_TYPE_LENGTH = 'application/json'.length;

type Done = (err: Error | null, body?: unknown) => void;

export function installJsonBodyParser(
  app: Pick<FastifyInstance, 'addContentTypeParser'> & {
    removeContentTypeParser(type: string): void;
  },
): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parseJsonBody);
}

export function parseJsonBody(request: FastifyRequest, body: string | Buffer, done: Done): void {
  const refused = charsetRefusal(request.headers['content-type']);
  if (refused !== undefined) return done(refused);
  if (body.length === 0) return done(new AppError('MALFORMED_JSON'));
  if (typeof body !== 'string' && !isUtf8(body))
    return done(new AppError('MALFORMED_JSON', { reason: 'the body is not valid UTF-8' }));
  let value: unknown;
  try {
    value = secureJson.parse(body, PARSE_OPTIONS);
  } catch (err) {
    return done(poisoned(err) ?? new AppError('MALFORMED_JSON', null, { cause: err }));
  }
  // Only a \u escape can make a lone surrogate out of valid UTF-8.
  const path = body.indexOf('\\u') >= 0 ? loneSurrogateAt(value) : undefined;
  if (path !== undefined)
    return done(
      new AppError('VALIDATION_FAILED', {
        errors: [
          { field: path || 'body', message: 'must be well-formed Unicode (no lone surrogate)' },
        ],
      }),
    );
  done(null, value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const join = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);

/**
 * The path of the first string (value or key) holding a lone surrogate, if any. Iterative:
 * JSON.parse takes nesting thousands deep, which recursion here would not.
 */
function loneSurrogateAt(root: unknown): string | undefined {
  const stack: Array<[unknown, string]> = [[root, '']];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, path] = top;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], join(path, String(i))]);
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i];
        if (LONE_SURROGATE.test(k)) return path;
        stack.push([v, join(path, k)]);
      }
    }
  }
  return undefined;
}

function charsetRefusal(type: string | undefined): AppError | undefined {
  if (type === undefined || type.length <= BARE_TYPE_LENGTH) return undefined;
  let charset: string | undefined;
  try {
    // RFC 9110 parameters: a `charset=` inside another parameter's quoted value is not one.
    charset = contentType.parse(type).parameters.charset;
  } catch {
    // Parameters that do not parse say nothing about the charset: the body is read as UTF-8.
    return undefined;
  }
  if (charset === undefined || UTF8_NAMES.has(charset.toLowerCase())) return undefined;
  return new AppError('UNSUPPORTED_MEDIA_TYPE', {
    reason: `JSON bodies are UTF-8; charset ${JSON.stringify(charset)} is not accepted`,
  });
}

/** secure-json-parse's refusal of a prototype-polluting key, as a validation error. */
function poisoned(err: unknown): AppError | undefined {
  if (!(err instanceof SyntaxError) || !/forbidden prototype property/.test(err.message))
    return undefined;
  return new AppError(
    'VALIDATION_FAILED',
    {
      errors: [
        {
          field: 'body',
          message: 'must not contain a "__proto__" key or a "constructor" key with a "prototype"',
        },
      ],
    },
    { cause: err },
  );
}
