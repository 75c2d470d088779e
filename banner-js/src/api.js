// @ts-check
/**
 * Calls to consent_server. Never throws: failures come back as status 0.
 * @typedef {import('./types.js').ConsentBody} ConsentBody
 */
import { TIMEOUT_MS } from './constants.js';

/**
 * The site's notice in one language (its first layer only, as banner.js inlines it, when `first`),
 * or whatever the server answered instead (config.js checks it); null on any failure. `v`, the
 * site's notices version, makes the answer cacheable for good.
 * @param {string} origin
 * @param {string} site
 * @param {string} lang
 * @param {string} v
 * @param {boolean} [first]
 * @returns {Promise<unknown>}
 */
export async function getNotice(origin, site, lang, v, first) {
  try {
    const q = `lang=${encodeURIComponent(lang)}&v=${encodeURIComponent(v)}${first ? '&part=first' : ''}`;
    const res = await fetch(`${origin}/v1/sites/${encodeURIComponent(site)}/notice?${q}`, {
      credentials: 'omit',
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
    });
    return await res.json();
  } catch {
    return null;
  }
}

/**
 * Record a decision. `key` is the decision's own random secret, the same on every try, so a
 * retry never makes a second receipt. Never the receipt id: the public lookup shows those.
 * @param {string} origin
 * @param {string} site
 * @param {ConsentBody} body
 * @param {string} key Idempotency-Key
 * @returns {Promise<{status: number, data: any}>}
 */
export async function postConsent(origin, site, body, key) {
  try {
    const res = await fetch(`${origin}/v1/sites/${encodeURIComponent(site)}/consents`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(body),
      credentials: 'omit',
      keepalive: true,
      // Browsers without AbortSignal.timeout (Safari < 16) wait for the network's own timeout.
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  } catch {
    return { status: 0, data: null };
  }
}

/**
 * The server's receipt file of receipt `id` (GET /v1/receipts/<id>/file), proving the subject
 * with its token; null on any failure.
 * @param {string} origin
 * @param {string} id
 * @param {string | undefined} token
 * @returns {Promise<Blob | null>}
 */
export async function receiptFile(origin, id, token) {
  try {
    // `id` is a UUID of the banner's or the server's making: nothing to escape.
    const res = await fetch(`${origin}/v1/receipts/${id}/file`, { headers: { 'X-Consent-Token': token || '' } });
    return res.ok ? await res.blob() : null;
  } catch {
    return null;
  }
}
