// @ts-check
/**
 * Google Consent Mode v2 signals, through the page's gtag (or the standard stub pushing
 * `arguments` onto dataLayer).
 * @typedef {import('./types.js').Notice} Notice
 */
import { WAIT_FOR_UPDATE_MS } from './constants.js';

/**
 * Every consent type some category maps to.
 * @param {Notice} notice
 */
export const modeTypes = (notice) => [...new Set(notice.categories.flatMap((c) => c.consent_mode || []))];

/**
 * Type -> 'granted' | 'denied'. A type is granted only when every category mapping it is on.
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices
 */
export function modeState(notice, choices) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const c of notice.categories)
    for (const t of c.consent_mode || []) out[t] = choices[c.id] && out[t] !== 'denied' ? 'granted' : 'denied';
  return out;
}

/** @param {...unknown} args */
function gtag(...args) {
  const w = /** @type {any} */ (window);
  if (typeof w.gtag === 'function') return w.gtag(...args);
  w.dataLayer = w.dataLayer || [];
  w.gtag = function () {
    // gtag.js expects the `arguments` object itself, not an array.
    // eslint-disable-next-line prefer-rest-params
    w.dataLayer.push(arguments);
  };
  w.gtag(...args);
}

/**
 * `gtag('consent', 'default', {...denied})`; must run before any gated script.
 * @param {Notice} notice
 */
export function modeDefault(notice) {
  const types = modeTypes(notice);
  if (!types.length) return;
  /** @type {Record<string, unknown>} */
  const state = { wait_for_update: WAIT_FOR_UPDATE_MS };
  for (const t of types) state[t] = 'denied';
  gtag('consent', 'default', state);
}

/**
 * `gtag('consent', 'update', {...})` after a stored or new decision.
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices
 */
export function modeUpdate(notice, choices) {
  if (modeTypes(notice).length) gtag('consent', 'update', modeState(notice, choices));
}
