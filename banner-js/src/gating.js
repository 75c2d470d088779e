// @ts-check
/**
 * Activates `<script type="text/plain" data-consent="CAT">` and `<iframe data-consent data-src>`
 * once their categories are granted. Clearing the cookies of withdrawn categories is cookie I/O:
 * storage.js does it.
 */
import { GATE_ATTR, OPEN_ATTR, PREFIX } from './constants.js';
import { button, h } from './ui/dom.js';

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
 * @param {string} lang the language of `t`: the placeholder sits in a page that may have another
 * @param {boolean} [added] found by the observer, maybe while the parser still fills it in
 */
function check(el, has, t, lang, added) {
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
      const open = button(t.placeholderButton, () => {}, { [OPEN_ATTR]: '' });
      // A target of at least 24x24 px (WCAG 2.2 SC 2.5.8) whatever the page's styles; set through
      // the CSSOM, which a page's CSP allows where a style attribute would be blocked.
      open.style.minHeight = open.style.minWidth = '24px';
      el.before(h('div', { class: PLACEHOLDER, lang }, h('p', { text: t.placeholder }), open));
      el.hidden = true;
    }
  }
}

/**
 * Gate the document: handle what is there now and what is added later. Returns `scan`, to call
 * again when the decision changes.
 * @param {(cat: string) => boolean} has whether a category is on
 * @param {{placeholder: string, placeholderButton: string}} t placeholder strings
 * @param {string} lang their language
 */
export function gate(has, t, lang) {
  const sel = `script[${GATE_ATTR}],iframe[${GATE_ATTR}]`;
  /**
   * @param {ParentNode & Node} root
   * @param {boolean} [added]
   */
  const scan = (root, added) => {
    if (root instanceof Element && root.matches(sel)) check(root, has, t, lang, added);
    for (const el of root.querySelectorAll(sel)) check(el, has, t, lang, added);
  };
  scan(document);
  new MutationObserver((list) => {
    for (const m of list) for (const n of m.addedNodes) if (n.nodeType === 1) scan(/** @type {Element} */ (n), true);
  }).observe(document.documentElement, { childList: true, subtree: true });
  return () => scan(document);
}
