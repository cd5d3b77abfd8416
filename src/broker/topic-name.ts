import { BrokerError } from './errors.js';

/**
 * Pulsar topic names: `persistent://tenant/namespace/local`. Short names are resolved in
 * `public/default`, as the Pulsar clients do.
 */
export interface TopicName {
  domain: 'persistent' | 'non-persistent';
  tenant: string;
  namespace: string;
  local: string;
  full: string;
}

const DEFAULT_TENANT = 'public';
const DEFAULT_NAMESPACE = 'default';

export function parseTopicName(name: string): TopicName {
  let domain: TopicName['domain'] = 'persistent';
  let rest = name;
  const m = /^(persistent|non-persistent):\/\/(.+)$/.exec(name);
  if (m) {
    domain = m[1] as TopicName['domain'];
    rest = m[2];
  }
  const parts = rest.split('/');
  let tenant = DEFAULT_TENANT;
  let namespace = DEFAULT_NAMESPACE;
  let local: string;
  if (parts.length === 1) local = parts[0];
  else if (parts.length === 3) [tenant, namespace, local] = parts;
  else throw new TypeError(`invalid topic name: ${JSON.stringify(name)}`);
  if (!tenant || !namespace || !local)
    throw new TypeError(`invalid topic name: ${JSON.stringify(name)}`);
  return { domain, tenant, namespace, local, full: `${domain}://${tenant}/${namespace}/${local}` };
}

/** Full names of names seen lately: publishing resolves the same few names per message. */
const fullNames = new Map<string, string>();
const MAX_REMEMBERED = 1024;

export function fullTopicName(name: string): string {
  let full = fullNames.get(name);
  if (full === undefined) {
    full = parseTopicName(name).full;
    if (fullNames.size >= MAX_REMEMBERED) fullNames.clear();
    fullNames.set(name, full);
  }
  return full;
}

/** `<topic>-<subscription>-RETRY`, as the Pulsar clients name it. */
export function retryTopicName(topic: string, subscription: string): string {
  return `${fullTopicName(topic)}-${subscription}-RETRY`;
}

/** `<topic>-<subscription>-DLQ`, as the Pulsar clients name it. */
export function deadLetterTopicName(topic: string, subscription: string): string {
  return `${fullTopicName(topic)}-${subscription}-DLQ`;
}

/**
 * Refuses a subscription name that cannot be used: empty, or holding a `/`, which would make
 * its retry and dead-letter topic names (`<topic>-<subscription>-DLQ`) no topic names.
 */
export function checkSubscriptionName(name: unknown): void {
  if (typeof name !== 'string' || name === '')
    throw new BrokerError('InvalidArgument', 'subscription name is required');
  if (name.includes('/'))
    throw new BrokerError(
      'InvalidArgument',
      `subscription name must not contain "/" (got ${JSON.stringify(name)})`,
    );
}
