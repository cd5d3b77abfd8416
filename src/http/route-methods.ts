/**
 * The methods each route path answers, collected as routes are added, so that a request for
 * a known path with a method it does not take is a 405 with `Allow` (RFC 9110, 15.5.6)
 * rather than a 404 saying the route does not exist.
 */
import type { RouteOptions } from 'fastify';

interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

export class RouteMethods {
  private readonly byUrl = new Map<string, PathMethods>();

  /** For Fastify's onRoute hook. Catch-all routes (CORS's `OPTIONS *`) are no path of ours. */
  add(route: Pick<RouteOptions, 'method' | 'url'>): void {
    if (route.url.includes('*')) return;
    let entry = this.byUrl.get(route.url);
    if (entry === undefined) {
      entry = { pattern: toPattern(route.url), methods: new Set() };
      this.byUrl.set(route.url, entry);
    }
    for (const m of Array.isArray(route.method) ? route.method : [route.method]) {
      entry.methods.add(m.toUpperCase());
    }
  }

  /** The methods the routes matching `path` (no query string) answer, sorted; [] if none. */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const { pattern, methods } of this.byUrl.values()) {
      if (pattern.test(path)) for (const m of methods) found.add(m);
    }
    return [...found].sort();
  }
}

/** `/api/v1/users/:id` as a RegExp: a parameter is one non-empty path segment. */
function toPattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}
