// @ts-check
/**
 * The consent record and decisions. Pure: records in, new records out; no DOM, no I/O.
 * @typedef {import('./types.js').Notice} Notice
 * @typedef {import('./types.js').ConsentRecord} ConsentRecord
 * @typedef {import('./types.js').TokenPayload} TokenPayload
 * @typedef {import('./types.js').QueueItem} QueueItem
 * @typedef {import('./types.js').Method} Method
 * @typedef {import('./types.js').Layer} Layer
 * @typedef {import('./types.js').ConsentBody} ConsentBody
 */

const DAY = 86400;

/** Current time in unix seconds. */
export const nowSec = () => Math.floor(Date.now() / 1000);

/**
 * Record from a token payload read out of the cookie.
 * @param {TokenPayload} t
 * @returns {ConsentRecord}
 */
export const fromToken = (t) => ({
  site: t.s,
  subject: t.u,
  receipt: t.r,
  granted: t.g.slice(),
  denied: t.d.slice(),
  policy_version: t.p,
  expires: t.e,
  at: t.iat || 0,
  pending: false,
});

/**
 * The decision in force on page load: the cookie's, unless a decision still waiting in the send
 * queue is newer; null when that one is stale.
 * @param {ConsentRecord | null} fromCookie
 * @param {QueueItem | null} queued
 * @param {Notice} notice
 * @param {number} [now]
 */
export function current(fromCookie, queued, notice, now) {
  const rec =
    queued && !(fromCookie && fromCookie.at > queued.record.at) ? { ...queued.record, pending: true } : fromCookie;
  return isStale(rec, notice, now) ? null : rec;
}

/**
 * Whether a stored decision no longer counts (so the banner shows again): missing, expired,
 * for another site, under another policy version, or not covering a category the notice has.
 * @param {ConsentRecord | null} rec
 * @param {Notice} notice
 * @param {number} [now] unix seconds
 */
export function isStale(rec, notice, now = nowSec()) {
  if (!rec) return true;
  if (!(rec.expires > now)) return true;
  if (rec.site !== notice.site || rec.policy_version !== notice.policy_version) return true;
  return notice.categories.some((c) => !rec.granted.includes(c.id) && !rec.denied.includes(c.id));
}

/**
 * Choices for every category: required on, optional off (deny by default), or as recorded.
 * @param {Notice} notice
 * @param {ConsentRecord | null} [rec]
 * @returns {Record<string, boolean>}
 */
export function currentChoices(notice, rec) {
  /** @type {Record<string, boolean>} */
  const out = {};
  for (const c of notice.categories) out[c.id] = !!c.required || !!rec?.granted.includes(c.id);
  return out;
}

/**
 * Turn a visitor action into choices for every category. Required categories are always on.
 * With GPC, `accept_all` leaves the notice's gpc_categories off; only an explicit custom
 * choice can switch them on.
 * @param {Notice} notice
 * @param {Method} method
 * @param {Record<string, boolean>} [picked] for 'custom' / 'api'
 * @param {boolean} [gpc]
 * @returns {Record<string, boolean>}
 */
export function decide(notice, method, picked = {}, gpc = false) {
  const gpcOff = gpc ? notice.gpc_categories || [] : [];
  /** @type {Record<string, boolean>} */
  const out = {};
  for (const c of notice.categories) {
    out[c.id] = c.required
      ? true
      : method === 'accept_all'
        ? !gpcOff.includes(c.id)
        : method === 'reject_all'
          ? false
          : picked[c.id] === true;
  }
  return out;
}

/**
 * A fresh (pending) record for a decision just made.
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices
 * @param {string} receipt client-made receipt id
 * @param {string} subject
 * @param {number} [now]
 * @returns {ConsentRecord}
 */
export function makeRecord(notice, choices, receipt, subject, now = nowSec()) {
  const ids = notice.categories.map((c) => c.id);
  // A refusal of every optional category may have its own, shorter term.
  const days = notice.categories.some((c) => !c.required && choices[c.id])
    ? notice.validity_days
    : notice.refusal_validity_days || notice.validity_days;
  return {
    site: notice.site,
    subject,
    receipt,
    granted: ids.filter((id) => choices[id]),
    denied: ids.filter((id) => !choices[id]),
    policy_version: notice.policy_version,
    expires: now + (days || 365) * DAY,
    at: now,
    pending: true,
  };
}

/**
 * The POST body of a decision, for the record `makeRecord` made of it. `user_activation` says
 * whether the browser saw a user gesture when the page's own script decided: layer `api` only,
 * and only where the browser can tell (`activation` is a boolean there).
 * @param {Notice} notice
 * @param {ConsentRecord} rec
 * @param {Record<string, boolean>} choices every category, required ones true
 * @param {Method} method
 * @param {Layer} layer
 * @param {{language: string, banner_build: string, gpc: boolean, activation?: boolean}} ctx
 * @returns {ConsentBody}
 */
export function decisionBody(notice, rec, choices, method, layer, ctx) {
  /** @type {ConsentBody} */
  const body = {
    id: rec.receipt,
    subject: rec.subject,
    notice: notice.notice,
    choices,
    language: ctx.language,
    method,
    layer,
    banner_build: ctx.banner_build,
    gpc: ctx.gpc,
  };
  if (layer === 'api' && typeof ctx.activation === 'boolean') body.user_activation = ctx.activation;
  return body;
}

/**
 * Whether a category is on: required ones always, optional ones only when granted.
 * @param {ConsentRecord | null} rec
 * @param {Notice} notice
 * @param {string} id
 */
export function has(rec, notice, id) {
  const cat = notice.categories.find((c) => c.id === id);
  return !!cat && (!!cat.required || !!rec?.granted.includes(id));
}

/**
 * Categories whose first-party cookies must be cleared after a decision: those now denied that
 * were granted before, or every denied one when the visitor rejected everything.
 * @param {ConsentRecord | null} prev
 * @param {ConsentRecord} next
 * @param {Method} method
 */
export function withdrawn(prev, next, method) {
  return next.denied.filter((id) => method === 'reject_all' || !!prev?.granted.includes(id));
}
