// @ts-check
/**
 * The shadow-root UI: first layer, floating settings button and the preferences dialog, with
 * focus moved in, trapped and restored.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../i18n.js').Strings} Strings
 * @typedef {import('./preferences.js').ReceiptView} ReceiptView
 * @typedef {{accept: (layer: 'first' | 'preferences') => void, reject: (layer: 'first' | 'preferences') => void,
 *   save: (choices: Record<string, boolean>) => void, prefs: () => void}} Actions
 */
import { safeUrl } from '../config.js';
import { activeElement, adopt, focusables, h, trapKey } from './dom.js';
import { renderPreferences } from './preferences.js';
import { CSS } from './styles.js';

export class Ui {
  /**
   * @param {{t: Strings, lang: string, notice: Notice, gpc: boolean, floating: boolean, actions: Actions}} o
   */
  constructor(o) {
    this.o = o;
    this.host = h('div', { 'data-consent-ui': '', lang: o.lang });
    this.root = this.host.attachShadow({ mode: 'open' });
    adopt(this.root, CSS);
    /** @type {HTMLElement | null} */
    this.banner = null;
    /** @type {HTMLElement | null} */
    this.fab = null;
    /** @type {HTMLElement | null} */
    this.overlay = null;
    /** @type {HTMLElement | null} */
    this.opener = null;
    this.onFocusIn = () => this.keepFocus();
    // First in <body>, so keyboard and screen reader users meet it early; fixed, so no layout shift.
    document.body.prepend(this.host);
  }

  /** Show the first layer. */
  showBanner() {
    const { t, notice, gpc } = this.o;
    this.banner?.remove();
    const href = safeUrl(notice.policy_url, location.href);
    const btn = (/** @type {string} */ text, /** @type {() => void} */ fn) => h('button', { type: 'button', text, onclick: fn });
    this.banner = h(
      'div',
      { class: 'b', role: 'region', 'aria-labelledby': 'ct' },
      h('h2', { id: 'ct', text: t.title }),
      h('p', {}, t.description, href && ' ', href && h('a', { href, text: t.policyLink })),
      gpc && (notice.gpc_categories || []).length > 0 && h('p', { class: 'n', text: t.gpcHonoured }),
      h(
        'div',
        { class: 'k' },
        btn(t.acceptAll, () => this.o.actions.accept('first')),
        btn(t.rejectAll, () => this.o.actions.reject('first')),
        btn(t.preferences, () => this.o.actions.prefs()),
      ),
    );
    this.root.append(this.banner);
  }

  hideBanner() {
    this.banner?.remove();
    this.banner = null;
  }

  /** @param {boolean} on */
  floating(on) {
    if (on && this.o.floating && !this.fab) {
      this.fab = h('button', { type: 'button', class: 'f', text: this.o.t.settings, onclick: () => this.o.actions.prefs() });
      this.root.append(this.fab);
    } else if (!on && this.fab) {
      this.fab.remove();
      this.fab = null;
    }
  }

  /**
   * Open the preferences dialog.
   * @param {Record<string, boolean>} choices
   * @param {ReceiptView | null} receipt
   */
  openPrefs(choices, receipt) {
    const wasOpen = !!this.overlay;
    const opener = wasOpen ? this.opener : /** @type {HTMLElement | null} */ (activeElement());
    this.closePrefs(false);
    const { t, notice, actions } = this.o;
    this.opener = opener;
    this.overlay = renderPreferences(t, notice, choices, receipt, {
      save: actions.save,
      accept: () => actions.accept('preferences'),
      reject: () => actions.reject('preferences'),
      close: () => this.closePrefs(),
    });
    const box = /** @type {HTMLElement} */ (this.overlay.firstChild);
    this.overlay.addEventListener('keydown', (e) => trapKey(e, box, () => this.closePrefs()));
    this.root.append(this.overlay);
    document.addEventListener('focusin', this.onFocusIn);
    (focusables(box).find((e) => e.tagName === 'INPUT') || focusables(box)[0])?.focus();
  }

  /** Focus left the dialog (e.g. through browser UI): bring it back. */
  keepFocus() {
    const box = /** @type {HTMLElement | undefined} */ (this.overlay?.firstChild);
    if (box && document.activeElement !== this.host) focusables(box)[0]?.focus();
  }

  /**
   * Close the dialog and give focus back to whatever opened it (or the settings button).
   * @param {boolean} [restore]
   */
  closePrefs(restore = true) {
    if (!this.overlay) return;
    for (const a of this.overlay.querySelectorAll('a[download]')) URL.revokeObjectURL(/** @type {HTMLAnchorElement} */ (a).href);
    this.overlay.remove();
    this.overlay = null;
    document.removeEventListener('focusin', this.onFocusIn);
    if (!restore) return;
    const back = this.opener?.isConnected && this.opener.getClientRects().length ? this.opener : this.fab;
    back?.focus();
    this.opener = null;
  }

  get prefsOpen() {
    return !!this.overlay;
  }

  destroy() {
    this.closePrefs(false);
    this.host.remove();
  }
}
