// @ts-check
/**
 * The preferences dialog: a switch per category and per service, what each is for, who gets
 * data and from where, the cookie tables, how long the choice is kept, the visitor's rights and
 * receipt, opened into the Ui (banner.js) with focus moved in and trapped; the Ui closes it. Part
 * of prefs.js, the script banner.js loads only when a visitor opens the preferences. Every word is one of
 * the notice's texts or a data value (a count, a date, a receipt id, a name from the notice):
 * nothing is composed of words of the bundle's own.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../types.js').Category} Category
 * @typedef {import('../types.js').CookieInfo} CookieInfo
 * @typedef {import('../types.js').Texts} Texts
 * @typedef {import('../types.js').ConsentRecord} ConsentRecord
 * @typedef {import('../types.js').Method} Method
 * @typedef {import('./banner.js').Ui} Ui
 */
import { receiptFile } from '../api.js';
import { adopt, button, dl, focusables, h, link, table, trapKey } from './dom.js';
import { PREFS_CSS } from './styles.js';

/** Shadow roots that have the dialog's CSS already. */
const styled = new WeakSet();

let uid = 0;

/** The visitor's rights, as `texts.right<Name>` keys. */
export const RIGHTS = 'Access Rectification Erasure Restriction Objection Portability Withdrawal'.split(' ');

/**
 * A country's name in the notice's language (its ISO code if the notice has none).
 * @param {Notice} n
 * @param {string | null | undefined} code
 */
const place = (n, code) => code && (n.countries?.[code] || code);

/**
 * A cookie or storage table (name, kind, provider, purpose, duration, party, country) folded in
 * a <details>, or nothing.
 * @param {Texts} t
 * @param {Notice} n
 * @param {CookieInfo[]} [list]
 */
const cookieTable = (t, n, list) =>
  !!list?.length &&
  h(
    'details',
    {},
    h('summary', {}, t.cookies, ' ', list.length),
    table(
      [t.cookieName, t.kind, t.provider, t.purpose, t.duration, t.party, t.country],
      list.map((k) => [
        k.name || k.pattern,
        // cookie -> kindCookie, local_storage -> kindLocalStorage, ...
        t['kind' + (k.kind || 'cookie').replace(/(^|_)./g, (m) => m.slice(-1).toUpperCase())],
        k.provider,
        k.purpose,
        k.duration,
        k.party === 'third' ? t.thirdParty : t.firstParty,
        place(n, k.country),
      ]),
    ),
  );

/**
 * A switch, off and locked on for required categories.
 * @param {string} id
 * @param {string} name the category or service id: the key of the choice
 * @param {boolean} on
 * @param {boolean} [locked]
 */
const toggle = (id, name, on, locked) =>
  h('input', { type: 'checkbox', role: 'switch', id, name, checked: locked || on, disabled: locked });

/**
 * One category: title + switch, description, its services (each with a switch of its own: the
 * category's switch allows or refuses them all; each with its provider, country, whether data
 * leave the EU/EEA and privacy link), its other recipients (name, country, EU/EEA or not, privacy
 * link), cookie table.
 * @param {Texts} t
 * @param {Notice} n
 * @param {Category} c
 * @param {Record<string, boolean>} choices
 */
function category(t, n, c, choices) {
  const id = `c${++uid}`;
  const req = !!c.required;
  const services = c.services || [];
  const main = toggle(id, c.id, !!choices[c.id], req);
  const subs = services.map((s, i) => toggle(id + 's' + i, s.id, !!choices[s.id], req));
  main.onchange = () => subs.map((i) => (i.checked = main.checked));
  for (const i of subs) i.onchange = () => (main.checked = subs.every((j) => j.checked));
  if (c.description) main.setAttribute('aria-describedby', id + 'd');
  return h(
    'div',
    { class: 'c' },
    h(
      'div',
      { class: 'w' },
      h('h3', {}, h('label', { for: id, text: c.title || c.id })),
      (req || subs.length > 0) && h('span', { class: 'n', text: req ? t.alwaysOn : t.allowCategory }),
      main,
    ),
    c.description && h('p', { id: id + 'd', class: 'n', text: c.description }),
    services.map((s, i) =>
      h(
        'div',
        { class: 'c' },
        h('div', { class: 'w' }, h('h4', {}, h('label', { for: id + 's' + i, text: s.name })), subs[i]),
        h('p', { class: 'n', text: s.purpose }),
        dl([
          [t.provider, s.provider],
          [t.country, place(n, s.country)],
        ]),
        h('p', { class: 'n' }, s.eu ? t.insideEU : t.outsideEU, ' ', link(s.privacy_url, t.providerPolicy)),
        cookieTable(t, n, s.cookies),
      ),
    ),
    (c.third_parties || []).map((p) =>
      h(
        'div',
        { class: 'c' },
        h('h4', { text: p.name }),
        p.country && dl([[t.country, place(n, p.country)]]),
        h('p', { class: 'n' }, p.country ? (p.eu ? t.insideEU : t.outsideEU) : '', ' ', link(p.url, t.providerPolicy)),
      ),
    ),
    cookieTable(t, n, c.cookies),
  );
}

/**
 * The visitor's receipt: its id, date and policy version (the switches above show its choices),
 * with the button that downloads the server's receipt file, every detail in it, once the server
 * has it.
 * @param {Texts} t
 * @param {Notice} notice
 * @param {ConsentRecord} r
 * @param {any} json the server's receipt, if kept
 * @param {() => void} download
 */
const receiptView = (t, notice, r, json, download) =>
  h(
    'div',
    { class: 'c' },
    h('h3', { text: t.receiptTitle }),
    dl([
      [t.receiptId, r.receipt],
      [t.date, new Date(json?.created_at || r.at * 1000).toLocaleString(notice.language)],
      [t.policyVersion, r.policy_version],
    ]),
    r.pending ? h('p', { class: 'n', text: t.pending }) : button(t.downloadReceipt, download),
  );

/**
 * The dialog (overlay > role=dialog), not yet attached.
 * @param {Texts} t
 * @param {Notice} notice
 * @param {Record<string, boolean>} choices switch positions to start from
 * @param {ConsentRecord | null} record the decision in force, shown as a receipt
 * @param {any} json the server's receipt of it, if kept
 * @param {(method: Method, choices?: Record<string, boolean>) => void} decide
 * @param {() => void} close
 * @param {() => void} download save the server's receipt file
 */
function renderPreferences(t, notice, choices, record, json, decide, close, download) {
  const titleId = `t${++uid}`;
  const kept = notice.kept || {};
  const email = notice.controller?.email;
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
    h('div', { class: 'w' }, h('h2', { id: titleId, text: t.settings }), button(t.close, close)),
    h('p', { text: t.description }),
    notice.categories.map((c) => category(t, notice, c, choices)),
    h(
      'div',
      { class: 'c' },
      h('h3', { text: t.keptTitle }),
      dl([
        [t.keptConsent, kept.consent],
        [t.keptRefusal, kept.refusal],
      ]),
    ),
    h(
      'div',
      { class: 'c' },
      h('h3', { text: t.rightsTitle }),
      h('p', { text: t.rightsIntro }),
      h(
        'ul',
        {},
        RIGHTS.map((k) => h('li', { text: t['right' + k] })),
      ),
      h('p', { text: t.rightComplaint }),
      dl([
        [t.controller, notice.controller?.name],
        [t.contact, email && h('a', { href: 'mailto:' + email, text: email })],
      ]),
    ),
    record && receiptView(t, notice, record, json, download),
    h(
      'div',
      { class: 'k' },
      button(t.save, () => decide('custom', picked())),
      button(t.acceptAll, () => decide('accept_all')),
      button(t.rejectAll, () => decide('reject_all')),
    ),
  );
  return h('div', { class: 'o' }, dialog);
}

/**
 * Save the server's receipt file of the decision in force (the request proves its subject).
 * @param {Ui} ui
 */
async function download(ui) {
  const [id, token] = ui.$receipt();
  const file = await receiptFile(ui.$origin, /** @type {string} */ (id), token);
  if (file) h('a', { href: URL.createObjectURL(file), download: `consent-receipt-${id}.json` }).click();
}

/**
 * Open (or redraw) the preferences dialog in the Ui, with focus moved in and kept inside.
 * @param {Ui} ui
 * @param {Record<string, boolean>} choices
 * @param {ConsentRecord | null} record the decision in force
 * @param {any} json the server's receipt of it, if kept
 */
export function openPreferences(ui, choices, record, json) {
  const close = () => ui.$closePreferences();
  if (!styled.has(ui.$root)) (styled.add(ui.$root), adopt(ui.$root, PREFS_CSS));
  if (!ui.$overlay) ui.$opener = /** @type {HTMLElement | null} */ (ui.$root.activeElement || document.activeElement);
  ui.$overlay?.remove();
  const overlay = (ui.$overlay = renderPreferences(
    ui.$t,
    ui.$notice,
    choices,
    record,
    json,
    (method, c) => ui.$decide(method, 'preferences', c),
    close,
    () => void download(ui).catch(() => {}),
  ));
  const box = /** @type {HTMLElement} */ (overlay.firstChild);
  overlay.addEventListener('keydown', (e) => trapKey(e, box, close));
  ui.$root.append(overlay);
  focusables(box)[0]?.focus();
}
