import { Type, type TSchema } from 'typebox';
import type { ErrorEntry } from './errors.js';

/** Every JSON response under /api: `{code, message, data}`; code 0 is success. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
}

export const SUCCESS_CODE = 0;
export const SUCCESS_MESSAGE = 'ok';

export function ok<T>(data: T): Envelope<T> {
  return { code: SUCCESS_CODE, message: SUCCESS_MESSAGE, data };
}

export function failure(entry: ErrorEntry, data: unknown = null): Envelope {
  return { code: entry.code, message: entry.message, data };
}

/** Response schema of a success envelope; fast-json-stringify serializes only what it lists. */
export function envelopeSchema<T extends TSchema>(data: T) {
  return Type.Object({
    code: Type.Integer({ description: '0 on success' }),
    message: Type.String(),
    data,
  });
}

/** Response schema of an error envelope, for the OpenAPI description. */
export const ErrorEnvelopeSchema = Type.Object({
  code: Type.Integer({ description: 'Stable error code, see the error catalogue' }),
  message: Type.String(),
  data: Type.Unknown(),
});
