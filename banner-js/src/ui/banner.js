// @ts-check
/**
 * The shadow-root UI: first layer, floating settings button and the preferences dialog, with
 * focus moved in, trapped and restored.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../i18n.js').Strings} Strings
 * @typedef {import('./preferences.js').ReceiptView} ReceiptView
 * @typedef {import('../types.js').Method} Method
 * @typedef {import('../types.js').Layer} Layer
 * @typedef {{decide: (method: Method, layer: Layer, choices?: Record<string, boolean>) => void,
 *   prefs: () => void}} Actions
 */
import { safeUrl } from '../config.js';
import { adopt, button, focusables, h, trapKey } from './dom.js';
import { renderPreferences } from './preferences.js';
import { CSS } from './styles.js';

export class Ui {
  /**
   * @param {Strings} t
   * @param {Notice} notice
   * @param {boolean} gpcLine say that the GPC signal is honoured
   * @param {boolean} floating show the settings button once decided
   * @param {Actions} actions
   */
  constructor(t, notice, gpcLine, floating, actions) {
    this._t = t;
    this._notice = notice;
    this._gpcLine = gpcLine;
    this._float = floating;
    this._act = actions;
    this._host = h('div', { 'data-consent-ui': '' });
    this._root = this._host.attachShadow({ mode: 'open' });
    adopt(this._root, CSS);
    /** @type {HTMLElement | null} */
    this._banner = null;
    /** @type {HTMLElement | null} */
    this._fab = null;
    /** @type {HTMLElement | null} */
    this._overlay = null;
    /** @type {HTMLElement | null} */
    this._opener = null;
    // First in <body>, so keyboard and screen reader users meet it early; fixed, so no layout shift.
    document.body.prepend(this._host);
  }

  /** Show the first layer. */
  _showBanner() {
    const { _t: t, _act: act } = this;
    const href = safeUrl(this._notice.policy_url, location.href);
    this._banner?.remove();
    this._banner = h(
      'div',
      { class: 'b', role: 'region', 'aria-labelledby': 'ct' },
      h('h2', { id: 'ct', text: t.title }),
      h('p', {}, t.description, href && ' ', href && h('a', { href, text: t.policyLink })),
      this._gpcLine && h('p', { class: 'n', text: t.gpcHonoured }),
      h(
        'div',
        { class: 'k' },
        button(t.acceptAll, () => act.decide('accept_all', 'first')),
        button(t.rejectAll, () => act.decide('reject_all', 'first')),
        button(t.preferences, act.prefs),
      ),
    );
    this._root.append(this._banner);
  }

  /** Shown once a decision is made: no banner, no dialog, the settings button instead. */
  _decided() {
    const hadFocus = !!this._root.activeElement;
    this._banner?.remove();
    this._banner = null;
    if (this._float && !this._fab)
      this._root.append((this._fab = button(this._t.settings, this._act.prefs, { class: 'f' })));
    if (this._overlay) this._closePrefs();
    else if (hadFocus) this._fab?.focus();
  }

  /**
   * Open the preferences dialog.
   * @param {Record<string, boolean>} choices
   * @param {ReceiptView | null} receipt
   */
  _openPrefs(choices, receipt) {
    const { _t: t, _act: act } = this;
    if (!this._overlay)
      this._opener = /** @type {HTMLElement | null} */ (this._root.activeElement || document.activeElement);
    this._overlay?.remove();
    this._overlay = renderPreferences(t, this._notice, choices, receipt, {
      save: (c) => act.decide('custom', 'preferences', c),
      accept: () => act.decide('accept_all', 'preferences'),
      reject: () => act.decide('reject_all', 'preferences'),
      close: () => this._closePrefs(),
    });
    const box = /** @type {HTMLElement} */ (this._overlay.firstChild);
    this._overlay.addEventListener('keydown', (e) => trapKey(e, box, () => this._closePrefs()));
    this._root.append(this._overlay);
    focusables(box)[0]?.focus();
  }

  /** Close the dialog and give focus back to whatever opened it (or the settings button). */
  _closePrefs() {
    if (!this._overlay) return;
    this._overlay.remove();
    this._overlay = null;
    const o = this._opener;
    (o?.isConnected && o.getClientRects().length ? o : this._fab)?.focus();
    this._opener = null;
  }
}
