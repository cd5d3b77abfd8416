/** Message property names the Pulsar clients use for retry and dead-letter topics. */
export const RETRY_PROPERTIES = {
  realTopic: 'REAL_TOPIC',
  originMessageId: 'ORIGIN_MESSAGE_ID',
  reconsumeTimes: 'RECONSUMETIMES',
  delayTime: 'DELAY_TIME',
} as const;

/**
 * The first property whose value is not a string, if any. Both brokers refuse such a message
 * with InvalidArgument rather than store a value that consumers would read back changed.
 */
export function nonStringProperty(props: Record<string, unknown> | undefined): string | undefined {
  if (props === undefined || props === null) return undefined;
  for (const k in props) if (typeof props[k] !== 'string') return k;
  return undefined;
}
