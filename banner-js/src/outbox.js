// @ts-check
/**
 * The outbox: decisions the server has not recorded yet. It keeps them across pages and sends
 * them oldest first, again after a backoff on a network error or 5xx and when the browser is back
 * online. Each is sent with its own random Idempotency-Key and, read at send time, the token that
 * proves its subject (a subject's later decisions need one; its first has none until the server
 * answers it). It stores what the server answers (the signed token in the consent cookie and in
 * localStorage, the receipt) and tells index.js through `recorded`. Storage goes through
 * storage.js, the request through api.js.
 * @typedef {import('./types.js').QueueItem} QueueItem
 * @typedef {import('./types.js').TokenPayload} TokenPayload
 */
import { postConsent } from './api.js';
import { QUEUE_KEY, RECEIPT_KEY, TOKEN_KEY } from './constants.js';
import { uuid } from './ids.js';
import { backoff, dequeue, enqueue, latest, outcome, sanitize } from './queue.js';
import { nowSec } from './state.js';
import { cookies, load, readToken, save, writeCookie } from './storage.js';

/**
 * The outbox of one site.
 * @param {string} origin consent_server's origin
 * @param {string} site
 * @param {string} cookie name of the consent cookie: the server's token goes there, and
 *   `<cookie>_q` marks a non-empty queue
 * @param {string | null | undefined} domain the consent cookie's domain ('' or null: host-only)
 * @param {(id: string, token: TokenPayload | null) => void} recorded told when the server has
 *   recorded decision `id` (its token, if any, is in the cookie by then)
 * @param {(...why: unknown[]) => void} warn told of a refused decision or a failure
 */
export function outbox(origin, site, cookie, domain, recorded, warn) {
  const key = QUEUE_KEY + site;
  const receiptKey = RECEIPT_KEY + site;
  const tokenKey = TOKEN_KEY + site;
  // A cookie marks a non-empty queue, so localStorage is opened only then: its
  // first access blocks Chromium's main thread for about 2 ms.
  const flag = cookie + '_q';
  /** @param {QueueItem[]} items */
  const keep = (items) => {
    if (!items.length && !cookies()[flag]) return;
    save(key, items);
    writeCookie(flag, '1', items.length ? 31536000 : 0, domain);
  };
  /** @returns {QueueItem[]} */
  const list = () => {
    if (!cookies()[flag]) return [];
    const raw = load(key);
    const items = sanitize(raw, uuid);
    // Stored again when sanitize dropped or completed items: an item queued by an older bundle
    // keeps the secret it got now for every try.
    if (JSON.stringify(items) !== JSON.stringify(raw)) keep(items);
    return items;
  };
  /**
   * A token of this site (of subject `u`, if given): the consent cookie's, else the last one the
   * server returned (kept after the cookie expired: an expired token still proves its subject).
   * @param {string} [u]
   */
  const proof = (u) =>
    [cookies()[cookie], load(tokenKey)].find((t) => {
      const p = readToken(t);
      return p?.s === site && (!u || p.u === u);
    });

  let sending = false;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** Send queued decisions, oldest first; stop and back off on a network error or 5xx. */
  async function flush() {
    if (sending) return;
    sending = true;
    clearTimeout(timer);
    try {
      for (let q; (q = list().find((x) => x.site === site));) {
        const { status, data } = await postConsent(origin, site, { ...q.body, token: proof(q.body.subject) }, q.key);
        const what = outcome(status);
        if (what === 'retry') {
          timer = setTimeout(flush, backoff(attempt++));
          break;
        }
        keep(dequeue(list(), q.body.id));
        attempt = 0;
        if (what === 'drop') {
          warn('refused', status, data);
          continue;
        }
        // Recorded: keep the receipt; the signed token goes in the cookie and, to prove the
        // subject after the cookie has expired, in localStorage.
        if (data?.receipt) save(receiptKey, data.receipt);
        const tk = readToken(data?.token);
        if (tk) {
          writeCookie(cookie, data.token, tk.e - nowSec(), domain);
          save(tokenKey, data.token);
        }
        recorded(q.body.id, tk);
      }
    } catch (err) {
      warn(err);
    }
    sending = false;
  }
  // Back online: no need to wait for the next retry.
  addEventListener('online', flush);

  return {
    /**
     * The newest decision of this site still waiting, after forgetting the one the server has
     * recorded already (the cookie's), if any.
     * @param {string} [done]
     */
    pending(done) {
      if (done) keep(dequeue(list(), done));
      return latest(list(), site);
    },
    /**
     * Queue a decision (replacing one with the same id), with its own idempotency secret.
     * @param {Omit<QueueItem, 'key'>} item
     */
    add: (item) => keep(enqueue(list(), { ...item, key: uuid() })),
    /** The subject of the last token this site's server returned, if any: it can prove it. */
    subject: () => readToken(proof())?.u,
    /** A token of subject `u` (the cookie's or the last one kept), if any. */
    token: proof,
    flush,
    /**
     * The server's receipt of decision `id` (JSON), or null: kept for the last decision only.
     * @param {string} id
     */
    receipt(id) {
      const json = load(receiptKey);
      return json?.id === id ? json : null;
    },
  };
}
