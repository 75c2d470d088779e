// @ts-check
/**
 * Activates `<script type="text/plain" data-consent="CAT">` and `<iframe data-consent data-src>`
 * once their categories are granted, and clears first-party cookies of withdrawn categories.
 * @typedef {import('./types.js').Category} Category
 */
import { GATE_ATTR, OPEN_ATTR, PREFIX } from './constants.js';
import { cookieNames, deleteCookie } from './storage.js';

/**
 * Domains to delete a cookie for: '' (host-only), the host, then each parent domain with a
 * leading dot, down to (not including) the top-level label. IPs and single labels: host-only.
 * @param {string} host
 */
export function cookieDomains(host) {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!h.includes('.') || /^[\d.]+$/.test(h) || h.includes(':')) return [''];
  const labels = h.split('.');
  const out = ['', h];
  for (let i = 1; i < labels.length - 1; i++) out.push('.' + labels.slice(i).join('.'));
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
  for (const n of cookiesToClear(cats, cookieNames())) if (n !== keep) for (const d of doms) deleteCookie(n, d);
}

/**
 * Categories an element waits for (space-separated list; all must be granted).
 * @param {Element} el
 */
export const gateCats = (el) => (el.getAttribute(GATE_ATTR) || '').split(/\s+/).filter(Boolean);

const done = new WeakSet();

/**
 * Replace a gated script by a live copy: attributes (but type/data-consent/data-src), `data-type`
 * as type, `data-src` as src, the nonce (a property: browsers hide the attribute) and the text.
 * @param {HTMLScriptElement} old
 */
function runScript(old) {
  const s = document.createElement('script');
  for (const a of old.attributes)
    if (!['type', GATE_ATTR, 'data-type', 'data-src', 'nonce'].includes(a.name)) s.setAttribute(a.name, a.value);
  const type = old.getAttribute('data-type');
  if (type) s.type = type;
  const src = old.getAttribute('data-src');
  if (src) s.src = src;
  if (old.nonce) s.nonce = old.nonce;
  // Scripts inserted from JS are async unless told otherwise; keep the page's order.
  if (s.src) s.async = old.hasAttribute('async');
  else s.text = old.text;
  done.add(s);
  old.replaceWith(s);
}

/**
 * Gate keeper for one document. `has(cat)` says whether a category is on.
 */
export class Gate {
  /**
   * @param {(cat: string) => boolean} has
   * @param {{placeholder: string, placeholderButton: string}} t placeholder strings
   */
  constructor(has, t) {
    this.has = has;
    this.t = t;
    /** @type {MutationObserver | null} */
    this.mo = null;
  }

  /** Handle what is in the document now and whatever is added later. */
  start() {
    this.scan(document);
    this.mo = new MutationObserver((list) => {
      for (const m of list)
        for (const n of m.addedNodes) if (n.nodeType === 1) this.scan(/** @type {Element} */ (n), true);
    });
    this.mo.observe(document.documentElement, { childList: true, subtree: true });
  }

  /**
   * @param {ParentNode & Node} root
   * @param {boolean} [added] found by the observer (an inline script may still be parsing)
   */
  scan(root, added) {
    const sel = `script[${GATE_ATTR}],iframe[${GATE_ATTR}]`;
    const els = [...root.querySelectorAll(sel)];
    if (root instanceof Element && root.matches(sel)) els.unshift(root);
    for (const el of els) this.check(el, added);
  }

  /**
   * @param {Element} el
   * @param {boolean} [added]
   */
  check(el, added) {
    if (done.has(el)) return;
    const ok = gateCats(el).every(this.has);
    if (el instanceof HTMLScriptElement) {
      if (el.type !== 'text/plain' || !ok) return;
      // The parser may not have appended all of an inline script's text yet: wait for
      // DOMContentLoaded, where index.js scans the document again.
      if (added && document.readyState === 'loading' && !el.hasAttribute('src') && !el.hasAttribute('data-src'))
        return;
      done.add(el);
      runScript(el);
    } else if (el instanceof HTMLIFrameElement) {
      const ph = /** @type {HTMLElement | null} */ (el.previousElementSibling);
      const hasPh = ph?.classList.contains(PREFIX + 'placeholder');
      if (ok) {
        done.add(el);
        if (hasPh) ph?.remove();
        if (el.hasAttribute('data-consent-hidden')) {
          el.hidden = false;
          el.removeAttribute('data-consent-hidden');
        }
        const src = el.getAttribute('data-src');
        if (src) el.src = src;
      } else if (!hasPh) {
        el.before(this.placeholder());
        if (!el.hidden) {
          el.hidden = true;
          el.setAttribute('data-consent-hidden', '');
        }
      }
    }
  }

  placeholder() {
    const box = document.createElement('div');
    box.className = PREFIX + 'placeholder';
    const p = document.createElement('p');
    p.textContent = this.t.placeholder;
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute(OPEN_ATTR, '');
    b.textContent = this.t.placeholderButton;
    box.append(p, b);
    return box;
  }
}
