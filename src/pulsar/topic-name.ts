import { PulsarClientError } from './errors.js';

/**
 * Expands a short topic name the way Pulsar clients do: `t` ->
 * `persistent://public/default/t`, `tenant/ns/t` -> `persistent://tenant/ns/t`.
 */
export function fullTopicName(topic: string): string {
  if (/^(persistent|non-persistent):\/\/[^/]+\/[^/]+\/.+$/.test(topic)) return topic;
  if (topic.includes('://') || topic.length === 0) {
    throw new PulsarClientError('InvalidTopicName', `invalid topic name: ${topic}`);
  }
  const parts = topic.split('/');
  if (parts.length === 1) return `persistent://public/default/${topic}`;
  if (parts.length >= 3) return `persistent://${topic}`;
  throw new PulsarClientError('InvalidTopicName', `invalid topic name: ${topic}`);
}

/** `<topic>-partition-<n>`, the name of one partition of a partitioned topic. */
export function partitionTopicName(topic: string, partition: number): string {
  return `${fullTopicName(topic)}-partition-${partition}`;
}

/** The partition a `<topic>-partition-<n>` name stands for; -1 for any other topic. */
export function partitionIndexOf(topic: string): number {
  const m = /-partition-(\d+)$/.exec(topic);
  return m ? Number(m[1]) : -1;
}
