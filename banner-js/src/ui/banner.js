// @ts-check
/**
 * The shadow-root UI: first layer, floating settings button and the preferences dialog, with
 * focus moved in, trapped and restored.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../types.js').Texts} Texts
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

/**
 * Lifecycle: showBanner, showDecided and openPreferences are what index.js calls. Members named
 * `$x` are the class's own; the build shortens them (build.config.mjs, mangleProps).
 */
export class Ui {
  /**
   * @param {Texts} t the notice's texts
   * @param {Notice} notice
   * @param {boolean} gpcLine say that the GPC signal is honoured
   * @param {boolean} floating show the settings button once decided
   * @param {Actions} actions
   */
  constructor(t, notice, gpcLine, floating, actions) {
    this.$t = t;
    this.$notice = notice;
    this.$gpcLine = gpcLine;
    this.$float = floating;
    this.$act = actions;
    this.$host = h('div', { 'data-consent-ui': '' });
    this.$root = this.$host.attachShadow({ mode: 'open' });
    adopt(this.$root, CSS);
    /** @type {HTMLElement | null} */
    this.$banner = null;
    /** @type {HTMLElement | null} */
    this.$fab = null;
    /** @type {HTMLElement | null} */
    this.$overlay = null;
    /** @type {HTMLElement | null} */
    this.$opener = null;
    // First in <body>, so keyboard and screen reader users meet it early; fixed, so no layout shift.
    document.body.prepend(this.$host);
  }

  /** Show the first layer. */
  showBanner() {
    const { $t: t, $act: act } = this;
    const href = safeUrl(this.$notice.policy_url, location.href);
    this.$banner?.remove();
    this.$banner = h(
      'div',
      { class: 'b', role: 'region', 'aria-labelledby': 'ct' },
      h('h2', { id: 'ct', text: t.title }),
      h('p', {}, t.description, href && ' ', href && h('a', { href, text: t.policyLink })),
      this.$gpcLine && h('p', { class: 'n', text: t.gpcHonoured }),
      h(
        'div',
        { class: 'k' },
        button(t.acceptAll, () => act.decide('accept_all', 'first')),
        button(t.rejectAll, () => act.decide('reject_all', 'first')),
        button(t.preferences, act.prefs),
      ),
    );
    this.$root.append(this.$banner);
  }

  /** Shown once a decision is made: no banner, no dialog, the settings button instead. */
  showDecided() {
    const hadFocus = !!this.$root.activeElement;
    this.$banner?.remove();
    this.$banner = null;
    if (this.$float && !this.$fab)
      this.$root.append((this.$fab = button(this.$t.settings, this.$act.prefs, { class: 'f' })));
    if (this.$overlay) this.$closePreferences();
    else if (hadFocus) this.$fab?.focus();
  }

  /**
   * Open the preferences dialog.
   * @param {Record<string, boolean>} choices
   * @param {ReceiptView | null} receipt
   */
  openPreferences(choices, receipt) {
    const { $t: t, $act: act } = this;
    if (!this.$overlay)
      this.$opener = /** @type {HTMLElement | null} */ (this.$root.activeElement || document.activeElement);
    this.$overlay?.remove();
    this.$overlay = renderPreferences(t, this.$notice, choices, receipt, {
      save: (c) => act.decide('custom', 'preferences', c),
      accept: () => act.decide('accept_all', 'preferences'),
      reject: () => act.decide('reject_all', 'preferences'),
      close: () => this.$closePreferences(),
    });
    const box = /** @type {HTMLElement} */ (this.$overlay.firstChild);
    this.$overlay.addEventListener('keydown', (e) => trapKey(e, box, () => this.$closePreferences()));
    this.$root.append(this.$overlay);
    focusables(box)[0]?.focus();
  }

  /** Close the dialog and give focus back to whatever opened it (or the settings button). */
  $closePreferences() {
    if (!this.$overlay) return;
    this.$overlay.remove();
    this.$overlay = null;
    const o = this.$opener;
    (o?.isConnected && o.getClientRects().length ? o : this.$fab)?.focus();
    this.$opener = null;
  }
}
