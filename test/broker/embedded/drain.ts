import type { Consumer, Message } from '../../../src/broker/index.js';

/** Receives until nothing comes for `idleMs`, acking each message unless `ack` is false. */
export async function drain(
  c: Consumer,
  opts: { ack?: boolean; idleMs?: number } = {},
): Promise<Message[]> {
  const got: Message[] = [];
  for (;;) {
    const m = await c.receive(opts.idleMs ?? 300).catch(() => undefined);
    if (m === undefined) return got;
    got.push(m);
    if (opts.ack ?? true) await c.acknowledge(m);
  }
}

/** The payloads as text. */
export const texts = (messages: Message[]): string[] => messages.map((m) => m.getData().toString());
