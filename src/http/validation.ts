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
    if (httpPart === 'body') return strict.compile(schema as object);
    return decimalIntegersOnly(schema, coercing.compile(schema as object));
  };
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const DECIMAL_INTEGER = /^-?[0-9]+$/;

/**
 * ajv coerces any string JavaScript reads as a number: `limit=0x10` would be 16, `+5`, `1e1`
 * or ` 7` accepted. An integer in a query string or path is written in decimal digits only.
 */
function decimalIntegersOnly(schema: unknown, validate: Validate): Validate {
  const props = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  const integers = Object.keys(props).filter((k) => props[k]?.type === 'integer');
  if (integers.length === 0) return validate;
  const checked: Validate = (data) => {
    for (const key of integers) {
      const value = (data as Record<string, unknown> | null)?.[key];
      const texts = Array.isArray(value) ? value : [value];
      if (texts.some((v) => typeof v === 'string' && !DECIMAL_INTEGER.test(v))) {
        checked.errors = [
          {
            instancePath: `/${key}`,
            schemaPath: `#/properties/${key}/type`,
            keyword: 'type',
            params: { type: 'integer' },
            message: 'must be an integer in decimal digits',
          },
        ];
        return false;
      }
    }
    const ok = validate(data);
    checked.errors = validate.errors;
    return ok;
  };
  return checked;
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
