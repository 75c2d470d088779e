// @ts-check
/**
 * The preferences dialog: a switch per category, descriptions, cookie tables, the visitor's
 * receipt. Rendering only; the Ui class owns showing, focus and closing. Every word is one of the
 * notice's texts or a data value (a count, a date, a receipt id): nothing is composed of words
 * of the bundle's own.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../types.js').Category} Category
 * @typedef {import('../types.js').Texts} Texts
 * @typedef {{record: import('../types.js').ConsentRecord, json: any, lang: string}} ReceiptView
 * @typedef {{save: (choices: Record<string, boolean>) => void, accept: () => void, reject: () => void,
 *   close: () => void}} PrefActions
 */
import { button, h } from './dom.js';

let uid = 0;

/**
 * One category: title + switch, description, cookie table.
 * @param {Texts} t
 * @param {Category} c
 * @param {boolean} on
 */
function category(t, c, on) {
  const id = `c${++uid}`;
  const cookies = c.cookies || [];
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
        h('summary', {}, t.cookies, ' ', h('span', { class: 'q', text: cookies.length })),
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [t.cookieName, t.provider, t.duration].map((x) => h('th', { scope: 'col', text: x })),
            ),
          ),
          h(
            'tbody',
            {},
            cookies.map((k) =>
              h(
                'tr',
                {},
                [k.name || k.pattern, k.provider, k.duration].map((x) => h('td', { text: x || '' })),
              ),
            ),
          ),
        ),
      ),
  );
}

/**
 * The visitor's receipt, readable, with a JSON download when the server's receipt is known.
 * @param {Texts} t
 * @param {Notice} notice
 * @param {ReceiptView} r
 */
function receiptView(t, notice, { record: r, json, lang }) {
  /** @type {[string, string | Node][]} */
  const rows = [
    [t.receiptId, r.receipt],
    [t.date, new Date(json?.created_at || r.at * 1000).toLocaleString(lang)],
    [t.policyVersion, r.policy_version],
    [
      t.choices,
      // Category -> Allowed / Refused, as a table: no punctuation of the bundle's own.
      h(
        'table',
        {},
        h(
          'tbody',
          {},
          notice.categories.map((c) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row', text: c.title || c.id }),
              h('td', { text: r.granted.includes(c.id) ? t.granted : t.denied }),
            ),
          ),
        ),
      ),
    ],
  ];
  return h(
    'div',
    { class: 'c' },
    h('h3', { text: t.receiptTitle }),
    h(
      'dl',
      {},
      rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]),
    ),
    r.pending && h('p', { class: 'n', text: t.pending }),
    !!json &&
      h('a', {
        href: URL.createObjectURL(new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' })),
        download: `consent-receipt-${r.receipt}.json`,
        text: t.download,
      }),
  );
}

/**
 * The dialog (overlay > role=dialog), not yet attached.
 * @param {Texts} t
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
  dialog = h(
    'div',
    { class: 'd', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h('div', { class: 'w' }, h('h2', { id: titleId, text: t.settings }), button(t.close, a.close, { class: 'x' })),
    h('p', { text: t.description }),
    notice.categories.map((c) => category(t, c, !!choices[c.id])),
    receipt && receiptView(t, notice, receipt),
    h(
      'div',
      { class: 'k' },
      button(t.save, () => a.save(picked())),
      button(t.acceptAll, a.accept),
      button(t.rejectAll, a.reject),
    ),
  );
  return h('div', { class: 'o' }, dialog);
}
