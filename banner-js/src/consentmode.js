// @ts-check
/**
 * Google Consent Mode v2 signals, through the page's gtag (or the standard stub pushing
 * `arguments` onto dataLayer).
 * @typedef {import('./types.js').Notice} Notice
 */
import { WAIT_FOR_UPDATE_MS } from './constants.js';
import { items } from './state.js';

/**
 * Type -> 'granted' | 'denied' for every consent type some category or service maps to. A type
 * is granted only when every category and service mapping it is on.
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices
 */
export function modeState(notice, choices) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const c of items(notice))
    for (const t of c.consent_mode || []) out[t] = choices[c.id] && out[t] !== 'denied' ? 'granted' : 'denied';
  return out;
}

/**
 * Call gtag('consent', kind, state) when the notice maps any type: the page's gtag if it has one,
 * else the standard stub, which pushes the `arguments` object itself (what gtag.js expects).
 * @param {'default' | 'update'} kind
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices
 */
export function consentMode(kind, notice, choices) {
  const state = modeState(notice, choices);
  if (!Object.keys(state).length) return;
  const w = /** @type {any} */ (window);
  w.dataLayer = w.dataLayer || [];
  w.gtag =
    w.gtag ||
    function () {
      w.dataLayer.push(arguments); // the arguments object itself, as gtag.js expects
    };
  w.gtag('consent', kind, kind === 'default' ? { ...state, wait_for_update: WAIT_FOR_UPDATE_MS } : state);
}
