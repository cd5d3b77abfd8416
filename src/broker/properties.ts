/** Message property names the Pulsar clients use for retry and dead-letter topics. */
export const RETRY_PROPERTIES = {
  realTopic: 'REAL_TOPIC',
  originMessageId: 'ORIGIN_MESSAGE_ID',
  reconsumeTimes: 'RECONSUMETIMES',
  delayTime: 'DELAY_TIME',
} as const;
