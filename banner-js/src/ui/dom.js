// @ts-check
/** DOM helpers for the shadow UI: node building, stylesheet adoption, focus trap and restore. */
import { safeUrl } from '../config.js';

/**
 * Create an element. Props: `text` (textContent), `on<event>` (listener), `class`; known DOM
 * properties are assigned, anything else becomes an attribute. Never innerHTML, never style.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any>} props
 * @param {...(Node | string | null | false | undefined | (Node | string | null | false | undefined)[])} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && k !== 'role' && k !== 'class') /** @type {any} */ (el)[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
  return el;
}

/**
 * A `<button type="button">`.
 * @param {string} text
 * @param {(e: Event) => void} onclick
 * @param {Record<string, any>} [props]
 */
export const button = (text, onclick, props) => h('button', { type: 'button', text, onclick, ...props });

/**
 * A link to an http(s) URL (a path is resolved against `base`, default the page), or null.
 * @param {unknown} url
 * @param {string} text
 * @param {string} [base]
 */
export const link = (url, text, base) => {
  const href = safeUrl(url, base || location.href);
  return href && h('a', { href, text });
};

/**
 * A description list of [term, value] pairs; pairs without a value are left out.
 * @param {[string, Node | string | null | undefined][]} pairs
 */
export const dl = (pairs) =>
  h(
    'dl',
    {},
    pairs.flatMap(([k, v]) => (v ? [h('dt', { text: k }), h('dd', {}, v)] : [])),
  );

/**
 * A table: column headers, then rows whose first cell heads the row.
 * @param {string[]} head
 * @param {(Node | string | null | undefined)[][]} rows
 */
export const table = (head, rows) =>
  h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((x) => h('th', { text: x })),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          {},
          r.map((x, i) => h(i ? 'td' : 'th', {}, x || '')),
        ),
      ),
    ),
  );

/**
 * Add CSS to a shadow root, after what it has: a constructable stylesheet (allowed by a strict `style-src`
 * CSP), or a <style> element where constructable sheets are missing.
 * @param {ShadowRoot} root
 * @param {string} css
 */
export function adopt(root, css) {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  } catch {
    root.append(h('style', { text: css }));
  }
}

const FOCUSABLE = 'a[href],button,input:not(:disabled),summary';

/**
 * Visible focusable elements inside `box`, in DOM order.
 * @param {Element} box
 * @returns {HTMLElement[]}
 */
export const focusables = (box) =>
  /** @type {HTMLElement[]} */ ([...box.querySelectorAll(FOCUSABLE)]).filter((e) => e.getClientRects().length);

/**
 * Keep Tab / Shift+Tab inside `box`; Escape calls `onEscape`.
 * @param {KeyboardEvent} e
 * @param {Element} box
 * @param {() => void} onEscape
 */
export function trapKey(e, box, onEscape) {
  if (e.key === 'Escape') {
    e.preventDefault();
    onEscape();
    return;
  }
  if (e.key !== 'Tab') return;
  const f = focusables(box);
  if (!f.length) return;
  const i = f.indexOf(/** @type {HTMLElement} */ (/** @type {ShadowRoot} */ (box.getRootNode()).activeElement));
  if (e.shiftKey ? i <= 0 : i === f.length - 1 || i < 0) {
    e.preventDefault();
    f[e.shiftKey ? f.length - 1 : 0].focus();
  }
}
