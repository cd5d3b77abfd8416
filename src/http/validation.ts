import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS with a default export that NodeNext sees as a namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface FieldError {
  field: string;
  message: string;
}

const BASE: Options = { allErrors: true, useDefaults: true, strict: false };

/**
 * Two validators: request bodies are checked as sent (no type coercion, unknown fields
 * rejected by the schemas), while querystring, params and headers arrive as strings and are
 * coerced to the types their schemas ask for.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ ...BASE, coerceTypes: false, removeAdditional: false }));
  const coercing = addFormats(new Ajv({ ...BASE, coerceTypes: 'array', removeAdditional: false }));
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return ajv.compile(schema as object);
  };
}

/** Turns ajv's errors into one `{field, message}` per problem, naming the field. */
export function toFieldErrors(errors: readonly Partial<ErrorObject>[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = (e.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    const params = (e.params ?? {}) as Record<string, unknown>;
    let field = path;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
      field = join(path, params.missingProperty);
      message = 'is required';
    } else if (
      e.keyword === 'additionalProperties' &&
      typeof params.additionalProperty === 'string'
    ) {
      field = join(path, params.additionalProperty);
      message = 'is not allowed';
    }
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field: field || '(root)', message });
  }
  return out;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}
