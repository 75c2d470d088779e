// @ts-check
/**
 * The send queue of decisions not yet recorded by the server: pure list helpers and the retry
 * policy. outbox.js keeps the list (through storage.js) and does the sending.
 * @typedef {import('./types.js').QueueItem} QueueItem
 */
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS } from './constants.js';

/**
 * Append a decision (replacing one with the same id, so a retry never duplicates it).
 * @param {QueueItem[]} queue
 * @param {QueueItem} item
 * @returns {QueueItem[]}
 */
export const enqueue = (queue, item) => [...dequeue(queue, item.body.id), item];

/**
 * Drop the decision with this id.
 * @param {QueueItem[]} queue
 * @param {string} id
 * @returns {QueueItem[]}
 */
export const dequeue = (queue, id) => queue.filter((q) => q.body.id !== id);

/**
 * The newest queued decision for a site, or null.
 * @param {QueueItem[]} queue
 * @param {string} site
 */
export const latest = (queue, site) => queue.filter((q) => q.site === site).pop() || null;

/**
 * Keep only well-formed items (the list comes from localStorage and may be anything). An item
 * queued by an older bundle has no idempotency secret of its own: it gets one from `newKey`
 * (the caller stores the list again, so every try sends the same).
 * @param {unknown} raw
 * @param {() => string} newKey
 * @returns {QueueItem[]}
 */
export function sanitize(raw, newKey) {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((q) => q?.site && q.body?.id && q.record?.granted?.map && q.record.denied?.map)
    .map((q) => (q.key && typeof q.key === 'string' ? q : { ...q, key: newKey() }));
}

/**
 * Delay before retry number `attempt` (0-based): 2 s, 4 s, 8 s, ... at most 60 s.
 * @param {number} attempt
 */
export const backoff = (attempt) => Math.min(BACKOFF_BASE_MS * 2 ** attempt, BACKOFF_MAX_MS);

/**
 * What to do with a queued item after a POST answered with `status` (0 = network error).
 * @param {number} status
 * @returns {'done' | 'drop' | 'retry'}
 */
export const outcome = (status) =>
  status > 199 && status < 300
    ? 'done'
    : status < 400 || status > 499 || status === 408 || status === 429
      ? 'retry'
      : 'drop';
