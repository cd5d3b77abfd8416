/**
 * REST paths of a topic. Admin v2 addresses `persistent://tenant/ns/local` as
 * `/admin/v2/persistent/tenant/ns/local`; short names resolve in `public/default`.
 */
export interface TopicRef {
  domain: 'persistent' | 'non-persistent';
  tenant: string;
  namespace: string;
  local: string;
}

export function parseTopic(topic: string): TopicRef {
  const m = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
  if (m) {
    return { domain: m[1] as TopicRef['domain'], tenant: m[2], namespace: m[3], local: m[4] };
  }
  const parts = topic.split('/');
  if (parts.length === 1 && parts[0]) {
    return { domain: 'persistent', tenant: 'public', namespace: 'default', local: parts[0] };
  }
  if (parts.length === 3 && parts.every(Boolean)) {
    return { domain: 'persistent', tenant: parts[0], namespace: parts[1], local: parts[2] };
  }
  throw new TypeError(`invalid topic name: ${JSON.stringify(topic)}`);
}

export function topicPath(topic: string): string {
  const t = parseTopic(topic);
  return `/admin/v2/${t.domain}/${enc(t.tenant)}/${enc(t.namespace)}/${enc(t.local)}`;
}

/** `tenant/namespace` -> `/admin/v2/namespaces/tenant/namespace`. */
export function namespacePath(namespace: string): string {
  const [tenant, ns, extra] = namespace.split('/');
  if (!tenant || !ns || extra !== undefined) {
    throw new TypeError(`invalid namespace: ${JSON.stringify(namespace)}`);
  }
  return `/admin/v2/namespaces/${enc(tenant)}/${enc(ns)}`;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
