import { isUtf8 } from 'node:buffer';

/** How a payload is written out as text: as itself when it is UTF-8, else in base64. */
export type PayloadEncoding = 'utf8' | 'base64';

export interface PayloadText {
  data: string;
  dataEncoding: PayloadEncoding;
}

/**
 * A payload as text that loses nothing: UTF-8 text (JSON events) as is, any other bytes in
 * base64, so a binary payload is shown exactly instead of with replacement characters.
 */
export function payloadText(payload: Buffer): PayloadText {
  return isUtf8(payload)
    ? { data: payload.toString('utf8'), dataEncoding: 'utf8' }
    : { data: payload.toString('base64'), dataEncoding: 'base64' };
}
