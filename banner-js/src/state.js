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
 * @typedef {import('./types.js').Category} Category
 * @typedef {import('./types.js').Service} Service
 */

const DAY = 86400;

/**
 * The categories and, after each, its services: everything a decision says yes or no to. One
 * namespace, as on the server (site ids are unique across categories and services).
 * @param {Notice} notice
 * @returns {(Category | Service)[]}
 */
export const items = (notice) => notice.categories.flatMap((c) => [c, ...(c.services || [])]);

/**
 * The category an id names, itself or through one of its services.
 * @param {Notice} notice
 * @param {string} id
 */
const owner = (notice, id) => notice.categories.find((c) => c.id === id || c.services?.some((s) => s.id === id));

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
 * for another site, under another policy version, or not covering a category or service the
 * notice has.
 * @param {ConsentRecord | null} rec
 * @param {Notice} notice
 * @param {number} [now] unix seconds
 */
export function isStale(rec, notice, now = nowSec()) {
  if (!rec) return true;
  if (!(rec.expires > now)) return true;
  if (rec.site !== notice.site || rec.policy_version !== notice.policy_version) return true;
  return items(notice).some((c) => !rec.granted.includes(c.id) && !rec.denied.includes(c.id));
}

/**
 * Choices for every category and service: required on, optional off (deny by default), or as
 * recorded.
 * @param {Notice} notice
 * @param {ConsentRecord | null} [rec]
 * @returns {Record<string, boolean>}
 */
export function currentChoices(notice, rec) {
  /** @type {Record<string, boolean>} */
  const out = {};
  for (const x of items(notice)) out[x.id] = has(rec, notice, x.id);
  return out;
}

/**
 * Choices changed by `changes`: a category named there decides for its services too, unless
 * they are named as well (so `update({third_party: true})` allows the category whole).
 * @param {Notice} notice
 * @param {Record<string, boolean>} base
 * @param {Record<string, boolean>} changes
 */
export function merge(notice, base, changes) {
  const out = { ...base };
  for (const c of notice.categories) if (c.id in changes) for (const s of c.services || []) delete out[s.id];
  return { ...out, ...changes };
}

/**
 * Turn a visitor action into choices for every category and service (both levels, as the
 * server records them). Required categories and their services are always on. A service
 * follows its own pick, else its category's; a category with services is on when all of them
 * are. With GPC, `accept_all` leaves the notice's gpc_categories off; only an explicit custom
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
    const on = (/** @type {string} */ id) =>
      c.required
        ? true
        : method === 'accept_all'
          ? !gpcOff.includes(c.id)
          : method !== 'reject_all' && (picked[id] ?? picked[c.id]) === true;
    const ss = c.services || [];
    for (const s of ss) out[s.id] = on(s.id);
    out[c.id] = ss.length ? ss.every((s) => out[s.id]) : on(c.id);
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
  const ids = items(notice).map((c) => c.id);
  // A refusal of every optional category and service may have its own, shorter term.
  const days = ids.some((id) => !owner(notice, id)?.required && choices[id])
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
 * Whether a category or service is on: those of required categories always, optional ones
 * only when granted; unknown ids never.
 * @param {ConsentRecord | null | undefined} rec
 * @param {Notice} notice
 * @param {string} id
 */
export function has(rec, notice, id) {
  const cat = owner(notice, id);
  return !!cat && (!!cat.required || !!rec?.granted.includes(id));
}

/**
 * Categories and services whose first-party cookies must be cleared after a decision: those
 * now denied that were granted before, or every denied one when the visitor rejected
 * everything.
 * @param {ConsentRecord | null} prev
 * @param {ConsentRecord} next
 * @param {Method} method
 */
export function withdrawn(prev, next, method) {
  return next.denied.filter((id) => method === 'reject_all' || !!prev?.granted.includes(id));
}
