// @ts-check
/**
 * The shadow-root UI: first layer, floating settings button, and closing the preferences dialog
 * (opened by prefs.js, the second script: ./preferences.js) with focus restored.
 * @typedef {import('../types.js').Notice} Notice
 * @typedef {import('../types.js').Texts} Texts
 * @typedef {import('../types.js').ConsentRecord} ConsentRecord
 * @typedef {import('../types.js').Method} Method
 * @typedef {import('../types.js').Layer} Layer
 * @typedef {(method: Method, layer: Layer, choices?: Record<string, boolean>) => void} Decide
 */
import { adopt, button, h, link } from './dom.js';
import { CSS } from './styles.js';

/**
 * Lifecycle: showBanner and showDecided are what index.js calls; prefs.js opens the preferences
 * into this.$overlay. Members named `$x` are the class's own; the build shortens them alike in
 * both scripts (build.config.mjs, mangleProps).
 */
export class Ui {
  /**
   * @param {Texts} t the notice's texts
   * @param {Notice} notice
   * @param {boolean} gpcLine say that the GPC signal is honoured
   * @param {boolean} floating show the settings button once decided
   * @param {Decide} decide
   * @param {() => void} prefs open the preferences
   * @param {() => [string | undefined, string | undefined]} receipt the receipt id of the decision
   *   in force and the token proving its subject (the download of prefs.js asks for them)
   * @param {string} origin where the banner script came from: the notice's links are relative to it
   */
  constructor(t, notice, gpcLine, floating, decide, prefs, receipt, origin) {
    this.$t = t;
    this.$notice = notice;
    this.$gpcLine = gpcLine;
    this.$float = floating;
    this.$decide = decide;
    this.$prefs = prefs;
    this.$receipt = receipt;
    this.$origin = origin;
    // The shadow tree takes its language from the host (HTML: the language of a shadow root's
    // children is its host's).
    this.$host = h('div', { 'data-consent-ui': '', lang: notice.language });
    // Room at the end of the page while the first layer is open, so the page's last controls
    // can scroll up above it. Empty: nothing for assistive technology to read.
    this.$room = h('div', {});
    this.$root = this.$host.attachShadow({ mode: 'open' });
    adopt(this.$root, CSS);
    // $banner, $fab, $overlay, $opener: HTMLElement | null | undefined, set when shown (the last
    // two by prefs.js).
    // First in <body>, so keyboard and screen reader users meet it early; fixed, so no layout shift.
    document.body.prepend(this.$host);
    // No page control that takes focus stays hidden under the first layer (WCAG 2.4.11): it is
    // scrolled above it, into room as high as the layer added at the end of the page (removed
    // with the layer). Measured then, never at start: no layout work before the first paint.
    addEventListener('focusin', (e) => {
      const b = this.$banner;
      const el = /** @type {Element} */ (e.target);
      if (!b || el === this.$host) return;
      const top = b.getBoundingClientRect().top - 8;
      this.$room.style.height = innerHeight - top + 'px';
      document.body.append(this.$room);
      const over = el.getBoundingClientRect().bottom - top;
      if (over > 0) scrollBy(0, over);
    });
  }

  /**
   * Show the first layer: who decides (the controller), what the optional categories are for,
   * the policy and the cookie declaration, and three buttons of equal weight.
   */
  showBanner() {
    const { $t: t, $decide: decide, $notice: n } = this;
    const links = n.links || {};
    this.$banner?.remove();
    this.$banner = h(
      'div',
      { class: 'b', role: 'region', 'aria-labelledby': 'ct' },
      h('h2', { id: 'ct', text: t.title }),
      h('p', { text: t.description }),
      h('p', { text: t.purposes }),
      n.controller?.name && h('p', {}, h('b', { text: t.controller }), ' ', n.controller.name),
      h(
        'p',
        {},
        link(links.policy, t.policyLink, this.$origin),
        ' ',
        link(links.declaration, t.declarationLink, this.$origin),
      ),
      this.$gpcLine && h('p', { class: 'n', text: t.gpcHonoured }),
      h(
        'div',
        { class: 'k' },
        button(t.acceptAll, () => decide('accept_all', 'first')),
        button(t.rejectAll, () => decide('reject_all', 'first')),
        button(t.preferences, this.$prefs),
      ),
    );
    this.$root.append(this.$banner);
  }

  /** Shown once a decision is made: no banner, no dialog, the settings button instead. */
  showDecided() {
    const hadFocus = !!this.$root.activeElement;
    this.$banner?.remove();
    this.$banner = null;
    this.$room.remove();
    if (this.$float && !this.$fab)
      this.$root.append((this.$fab = button(this.$t.settings, this.$prefs, { class: 'f' })));
    if (this.$overlay) this.$closePreferences();
    else if (hadFocus) this.$fab?.focus();
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
