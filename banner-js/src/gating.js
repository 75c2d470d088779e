// @ts-check
/**
 * Activates `<script type="text/plain" data-consent="CAT">` and `<iframe data-consent data-src>`
 * once their categories are granted, and clears first-party cookies of withdrawn categories.
 * @typedef {import('./types.js').Category} Category
 */
import { GATE_ATTR, OPEN_ATTR, PREFIX } from './constants.js';
import { cookies, writeCookie } from './storage.js';
import { button, h } from './ui/dom.js';

/**
 * Domains to delete a cookie for: '' (host-only), the host, then each parent domain with a
 * leading dot, down to (not including) the top-level label. IPs and single labels: host-only.
 * @param {string} host
 */
export function cookieDomains(host) {
  const out = [''];
  if (/^[\d.]+$|:|^[^.]*$/.test(host)) return out;
  const labels = host.toLowerCase().split('.');
  for (let i = 0; i < labels.length - 1; i++) out.push((i ? '.' : '') + labels.slice(i).join('.'));
  return out;
}

/**
 * Names of existing cookies listed as first-party in these categories (by name or pattern).
 * @param {Category[]} cats
 * @param {string[]} existing
 */
export function cookiesToClear(cats, existing) {
  const out = new Set();
  for (const c of cats)
    for (const k of c.cookies || []) {
      if (k.party === 'third') continue;
      let re = null;
      try {
        re = k.pattern ? new RegExp(k.pattern) : null;
      } catch {
        /* bad pattern: skip it */
      }
      for (const n of existing) if (n === k.name || re?.test(n)) out.add(n);
    }
  return [...out];
}

/**
 * Delete the first-party cookies of withdrawn categories on this host and its parents.
 * @param {Category[]} cats
 * @param {string} [keep] the consent cookie itself, never deleted here
 */
export function clearCookies(cats, keep) {
  const doms = cookieDomains(location.hostname);
  for (const n of cookiesToClear(cats, Object.keys(cookies())))
    if (n !== keep) for (const d of doms) writeCookie(n, '', 0, d);
}

const done = new WeakSet();
const PLACEHOLDER = PREFIX + 'placeholder';
const SKIP = ['type', GATE_ATTR, 'data-type', 'data-src', 'nonce'];

/**
 * Replace a gated script by a live copy: its attributes (`data-type` as type, `data-src` as src),
 * the nonce (a property: browsers hide the attribute) and the text.
 * @param {HTMLScriptElement} old
 */
function runScript(old) {
  const s = document.createElement('script');
  for (const a of old.attributes) if (!SKIP.includes(a.name)) s.setAttribute(a.name, a.value);
  s.type = old.dataset.type || '';
  const src = old.dataset.src;
  if (src) s.src = src;
  s.nonce = old.nonce || '';
  // Scripts inserted from JS are async unless told otherwise; keep the page's order.
  if (s.src) s.async = old.async;
  else s.text = old.text;
  done.add(s);
  old.replaceWith(s);
}

/**
 * Activate an element whose categories are all on; put a placeholder before a blocked iframe.
 * @param {Element} el
 * @param {(cat: string) => boolean} has
 * @param {{placeholder: string, placeholderButton: string}} t
 * @param {boolean} [added] found by the observer, maybe while the parser still fills it in
 */
function check(el, has, t, added) {
  if (done.has(el)) return;
  const ok = (el.getAttribute(GATE_ATTR) || '').split(/\s+/).filter(Boolean).every(has);
  if (el instanceof HTMLScriptElement) {
    // An inline script seen while parsing may lack the rest of its text: the DOMContentLoaded
    // scan (index.js) picks it up.
    if (el.type !== 'text/plain' || !ok || (added && document.readyState === 'loading' && !el.src && !el.dataset.src))
      return;
    done.add(el);
    runScript(el);
  } else if (el instanceof HTMLIFrameElement) {
    const ph = el.previousElementSibling;
    const isPh = ph?.className === PLACEHOLDER;
    if (ok) {
      // Chromium drops a src set on a frame the parser is still inserting (it stays about:blank):
      // leave it to the DOMContentLoaded scan.
      if (added && document.readyState === 'loading') return;
      done.add(el);
      if (isPh) ph.remove();
      el.hidden = false;
      if (el.dataset.src) el.src = el.dataset.src;
    } else if (!isPh) {
      // The button carries data-consent-open: the page-wide click delegation opens the preferences.
      el.before(
        h(
          'div',
          { class: PLACEHOLDER },
          h('p', { text: t.placeholder }),
          button(t.placeholderButton, () => {}, { [OPEN_ATTR]: '' }),
        ),
      );
      el.hidden = true;
    }
  }
}

/**
 * Gate the document: handle what is there now and what is added later. Returns `scan`, to call
 * again when the decision changes.
 * @param {(cat: string) => boolean} has whether a category is on
 * @param {{placeholder: string, placeholderButton: string}} t placeholder strings
 */
export function gate(has, t) {
  const sel = `script[${GATE_ATTR}],iframe[${GATE_ATTR}]`;
  /**
   * @param {ParentNode & Node} root
   * @param {boolean} [added]
   */
  const scan = (root, added) => {
    if (root instanceof Element && root.matches(sel)) check(root, has, t, added);
    for (const el of root.querySelectorAll(sel)) check(el, has, t, added);
  };
  scan(document);
  new MutationObserver((list) => {
    for (const m of list) for (const n of m.addedNodes) if (n.nodeType === 1) scan(/** @type {Element} */ (n), true);
  }).observe(document.documentElement, { childList: true, subtree: true });
  return () => scan(document);
}
