/** A MessageContext that records how the middleware settled the message. */
import type { Message } from '../../src/broker/index.js';
import type { MessageContext } from '../../src/messaging/index.js';
import { silentLogger } from '../../src/messaging/index.js';
import type { MessageOutcome } from '../../src/messaging/metrics.js';
import { reconsumeTimes } from '../../src/messaging/properties.js';

export interface RecordingContext extends MessageContext {
  calls: Array<{ kind: string; delayMs?: number; properties?: Record<string, string> }>;
  failRetry?: boolean;
}

export function fakeContext(
  message: Message,
  init: { now?: () => number; signal?: AbortSignal; subscription?: string } = {},
): RecordingContext {
  const state: { outcome: MessageOutcome | undefined; failures: Error[] } = {
    outcome: undefined,
    failures: [],
  };
  const calls: RecordingContext['calls'] = [];
  const make = (source: AbortSignal | (() => AbortSignal)): RecordingContext => {
    let signal: AbortSignal | undefined;
    const ctx: RecordingContext = {
      calls,
      topic: message.getTopicName(),
      subscription: init.subscription ?? 'sub',
      attempt: reconsumeTimes(message.getProperties()) + 1,
      get signal() {
        signal ??= typeof source === 'function' ? source() : source;
        return signal;
      },
      logger: silentLogger,
      now: init.now ?? Date.now,
      get outcome() {
        return state.outcome;
      },
      get failures() {
        return state.failures;
      },
      recordFailure(err) {
        if (!state.failures.includes(err)) state.failures.push(err);
      },
      async retryLater(delayMs, properties) {
        if (ctx.failRetry) throw new Error('broker down');
        calls.push({ kind: 'retryLater', delayMs, properties });
        state.outcome = 'retried';
      },
      async deadLettered() {
        calls.push({ kind: 'deadLettered' });
        state.outcome = 'dead-lettered';
      },
      nack() {
        calls.push({ kind: 'nack' });
        state.outcome = 'nacked';
      },
      async skip() {
        calls.push({ kind: 'skip' });
        state.outcome = 'skipped';
      },
      withSignal(other) {
        const derived = make(other);
        derived.failRetry = ctx.failRetry;
        return derived;
      },
    };
    return ctx;
  };
  return make(init.signal ?? new AbortController().signal);
}
