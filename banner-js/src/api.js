// @ts-check
/**
 * Calls to consent_server. Never throws: failures come back as status 0.
 * @typedef {import('./types.js').ConsentBody} ConsentBody
 */
import { TIMEOUT_MS } from './constants.js';

/**
 * One call to the site's part of the API, without cookies.
 * @param {string} origin
 * @param {string} site
 * @param {string} path after `/v1/sites/<site>/`
 * @param {RequestInit} [init]
 * @returns {Promise<{status: number, data: any}>}
 */
async function call(origin, site, path, init) {
  try {
    const res = await fetch(`${origin}/v1/sites/${encodeURIComponent(site)}/${path}`, {
      credentials: 'omit',
      // Browsers without AbortSignal.timeout (Safari < 16) wait for the network's own timeout.
      signal: AbortSignal.timeout?.(TIMEOUT_MS),
      ...init,
    });
    return { status: res.status, data: await res.json().catch(() => null) };
  } catch {
    return { status: 0, data: null };
  }
}

/**
 * Record a decision. `key` is the decision's own random secret, the same on every try, so a
 * retry never makes a second receipt. Never the receipt id: the public lookup shows those.
 * @param {string} origin
 * @param {string} site
 * @param {ConsentBody} body
 * @param {string} key Idempotency-Key
 */
export const postConsent = (origin, site, body, key) =>
  call(origin, site, 'consents', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body),
    keepalive: true,
  });

/**
 * The site's notice in one language, or whatever the server answered instead (config.js checks
 * it). `v`, the site's notices version, makes the answer cacheable for good.
 * @param {string} origin
 * @param {string} site
 * @param {string} lang
 * @param {string} v
 */
export const getNotice = async (origin, site, lang, v) =>
  (await call(origin, site, `notice?lang=${encodeURIComponent(lang)}&v=${encodeURIComponent(v)}`)).data;
