// Readiness of a Pulsar broker, asked through its admin REST API:
//   1. GET /admin/v2/clusters                 lists "standalone"
//   2. GET /admin/v2/namespaces/public        lists "public/default"
//   3. GET /admin/v2/brokers/health           the broker's own heartbeat: it produces a
//      message to its heartbeat topic and reads it back through a reader, answering "ok"
//      only when that round trip through the bookie succeeds.

const REQUEST_TIMEOUT_MS = 10_000;

async function getJson(url, token) {
  const res = await globalThis.fetch(url, {
    signal: globalThis.AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url} -> HTTP ${res.status} ${body.slice(0, 200)}`);
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function describe(err) {
  const cause = err?.cause?.code ?? err?.cause?.message;
  return cause ? `${err.message} (${cause})` : String(err?.message ?? err);
}

/**
 * @param {string} adminUrl e.g. http://127.0.0.1:8080
 * @param {string} [token] a token sent as `Authorization: Bearer`, for a broker with auth on
 * @returns {Promise<{ ready: boolean, step: string, detail: string }>}
 *   step names the first check that failed ("clusters", "namespaces", "health") or "ready".
 */
export async function probeBroker(adminUrl, token) {
  let step = 'clusters';
  try {
    const clusters = await getJson(`${adminUrl}/admin/v2/clusters`, token);
    if (!Array.isArray(clusters) || !clusters.includes('standalone')) {
      return { ready: false, step, detail: `clusters are ${JSON.stringify(clusters)}` };
    }
    step = 'namespaces';
    const namespaces = await getJson(`${adminUrl}/admin/v2/namespaces/public`, token);
    if (!Array.isArray(namespaces) || !namespaces.includes('public/default')) {
      return { ready: false, step, detail: `public namespaces are ${JSON.stringify(namespaces)}` };
    }
    step = 'health';
    const health = await getJson(`${adminUrl}/admin/v2/brokers/health`, token);
    if (health !== 'ok') {
      return { ready: false, step, detail: `health check said ${JSON.stringify(health)}` };
    }
    return { ready: true, step: 'ready', detail: 'ok' };
  } catch (err) {
    return { ready: false, step, detail: describe(err) };
  }
}
