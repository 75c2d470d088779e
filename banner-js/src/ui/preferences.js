// @ts-check
/**
 * The preferences dialog: a switch per category, descriptions, cookie tables, the visitor's
 * receipt. Rendering only; the Ui class owns showing, focus and closing.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../types.js').Category} Category
 * @typedef {import('../i18n.js').Strings} Strings
 * @typedef {{id: string, date: string, choices: Record<string, boolean>, policy_version: string,
 *   pending: boolean, json: unknown}} ReceiptView
 * @typedef {{save: (choices: Record<string, boolean>) => void, accept: () => void, reject: () => void,
 *   close: () => void}} PrefActions
 */
import { safeUrl } from '../config.js';
import { h } from './dom.js';

let uid = 0;

/**
 * One category: title + switch, description, cookies, third parties.
 * @param {Strings} t
 * @param {Category} c
 * @param {boolean} on
 */
function category(t, c, on) {
  const id = `c${++uid}`;
  const cookies = c.cookies || [];
  const parties = (c.third_parties || []).filter((p) => p && p.name);
  return h(
    'div',
    { class: 'c' },
    h(
      'div',
      { class: 'w' },
      h('h3', {}, h('label', { for: id, text: c.title || c.id })),
      h(
        'span',
        { class: 'w' },
        c.required && h('span', { class: 'n', text: t.alwaysOn }),
        h('input', {
          type: 'checkbox',
          role: 'switch',
          id,
          name: c.id,
          checked: !!c.required || on,
          disabled: !!c.required,
          'aria-describedby': c.description ? id + 'd' : null,
        }),
      ),
    ),
    c.description && h('p', { id: id + 'd', class: 'n', text: c.description }),
    cookies.length > 0 &&
      h(
        'details',
        {},
        h('summary', { text: `${t.cookies} (${cookies.length})` }),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, [t.cookieName, t.provider, t.duration].map((x) => h('th', { scope: 'col', text: x })))),
          h(
            'tbody',
            {},
            cookies.map((k) =>
              h('tr', {}, [k.name || k.pattern, k.provider, k.duration].map((x) => h('td', { text: x || '' }))),
            ),
          ),
        ),
      ),
    parties.length > 0 &&
      h(
        'p',
        { class: 'n' },
        `${t.thirdParties}: `,
        parties.map((p, i) => {
          const href = safeUrl(p.url);
          return [i ? ', ' : '', href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer', text: p.name }) : p.name];
        }),
      ),
  );
}

/**
 * The visitor's receipt, readable, with a JSON download when the server's receipt is known.
 * @param {Strings} t
 * @param {Notice} notice
 * @param {ReceiptView} r
 */
function receiptView(t, notice, r) {
  const json = r.json;
  return h(
    'div',
    { class: 'c' },
    h('h3', { text: t.receiptTitle }),
    h(
      'dl',
      {},
      h('dt', { text: t.receiptId }),
      h('dd', { text: r.id }),
      h('dt', { text: t.date }),
      h('dd', { text: r.date }),
      h('dt', { text: t.policyVersion }),
      h('dd', { text: r.policy_version }),
      h('dt', { text: t.choices }),
      h(
        'dd',
        {},
        notice.categories
          .map((c) => `${c.title || c.id}: ${r.choices[c.id] ? t.granted : t.denied}`)
          .join(', '),
      ),
    ),
    r.pending && h('p', { class: 'n', text: t.pending }),
    !!json &&
      h('a', {
        href: URL.createObjectURL(new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' })),
        download: `consent-receipt-${r.id}.json`,
        text: t.download,
      }),
  );
}

/**
 * The dialog (overlay > role=dialog), not yet attached.
 * @param {Strings} t
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices switch positions to start from
 * @param {ReceiptView | null} receipt
 * @param {PrefActions} a
 */
export function renderPreferences(t, notice, choices, receipt, a) {
  const titleId = `t${++uid}`;
  /** @type {HTMLDivElement} */
  let dialog;
  const picked = () => {
    /** @type {Record<string, boolean>} */
    const out = {};
    for (const i of /** @type {NodeListOf<HTMLInputElement>} */ (dialog.querySelectorAll('input')))
      out[i.name] = i.checked;
    return out;
  };
  const btn = (/** @type {string} */ text, /** @type {() => void} */ fn) => h('button', { type: 'button', text, onclick: fn });
  dialog = h(
    'div',
    { class: 'd', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h('h2', { id: titleId, text: t.prefsTitle }),
    h('button', { type: 'button', class: 'x', 'aria-label': t.close, text: '×', onclick: a.close }),
    h('p', { text: t.description }),
    notice.categories.map((c) => category(t, c, !!choices[c.id])),
    receipt && receiptView(t, notice, receipt),
    h(
      'div',
      { class: 'k' },
      btn(t.save, () => a.save(picked())),
      btn(t.acceptAll, a.accept),
      btn(t.rejectAll, a.reject),
    ),
  );
  return h('div', { class: 'o' }, dialog);
}
