// @ts-check
/**
 * Public surface: `window.consent` and the wiring between config, state, storage, gating, UI and
 * events. This module alone holds the current record and hands it to the others.
 * @typedef {import('./types.js').SiteConfig} SiteConfig
 * @typedef {import('./types.js').ConsentRecord} ConsentRecord
 * @typedef {import('./types.js').PublicRecord} PublicRecord
 * @typedef {import('./types.js').Method} Method
 * @typedef {import('./types.js').Layer} Layer
 * @typedef {import('./types.js').Notice} Notice
 */
import { getNotice } from './api.js';
import { fetchNotice, readConfig } from './config.js';
import { consentMode } from './consentmode.js';
import { COOKIE_NAME, EVENT_CHANGE, EVENT_READY, OPEN_ATTR } from './constants.js';
import { emit } from './events.js';
import { gate } from './gating.js';
import { pickLanguage } from './i18n.js';
import { uuid } from './ids.js';
import { outbox } from './outbox.js';
import {
  current,
  currentChoices,
  decide,
  decisionBody,
  fromToken,
  has,
  items,
  makeRecord,
  merge,
  withdrawn,
} from './state.js';
import { clearCookies, cookies, readCookiesEarly, readCookiesLive, readToken } from './storage.js';
import { Ui } from './ui/banner.js';
import { h } from './ui/dom.js';

// Only readable while this file is being executed, so capture it first.
const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);

/** Log to the console, never throw: the host page's own errors stay its own. */
const warn = (/** @type {any[]} */ ...a) => console.warn('[consent]', ...a);

/**
 * Wrap a public entry point: never throw into the host page.
 * @template {(...a: any[]) => any} F
 * @param {F} fn
 * @param {any} [fallback] returned on error ("no optional consent")
 * @returns {F}
 */
const safe = (fn, fallback) =>
  /** @type {F} */ (
    (/** @type {any[]} */ ...a) => {
      try {
        return fn(...a);
      } catch (err) {
        warn(err);
        return fallback;
      }
    }
  );

/**
 * Start the banner for one site config.
 * @param {SiteConfig} cfg
 * @param {(rec: PublicRecord | null) => void} ready
 * @param {Set<(rec: PublicRecord | null) => void>} listeners
 * @param {Record<string, Function>} impl filled with the implementation of the public API
 */
function start(cfg, ready, listeners, impl) {
  const site = cfg.site;
  let origin = location.origin;
  try {
    origin = new URL(/** @type {HTMLScriptElement} */ (script).src).origin;
  } catch {
    /* inline or no script: same origin */
  }
  const wanted = [document.documentElement.lang, ...navigator.languages, cfg.default_language];
  const want = pickLanguage(cfg.languages, wanted);
  const get = (/** @type {string} */ l, /** @type {boolean} */ first = false) =>
    fetchNotice(cfg, l, (x) => getNotice(origin, site, x, cfg.notices_version, first));
  // banner.js inlines the first layer of the notice of the browser's language. A page `lang` may
  // pick another: that notice's first layer is fetched (cached for good) and shown, else the
  // inlined one. The whole notice comes when the preferences first open.
  const firstLayer = cfg.notices[want] ? undefined : get(want, true);
  /** @type {Promise<Notice | null> | undefined} */
  let more;
  let notice = cfg.notices[want] || cfg.notices[pickLanguage(Object.keys(cfg.notices), wanted)];
  // Every word the banner shows comes from the notice, which is hashed into every receipt.
  let t = notice.texts;
  let lang = notice.language;
  const gpc = /** @type {any} */ (navigator).globalPrivacyControl === true;
  const cookie = notice.cookie || {};
  const cookieName = cookie.name || COOKIE_NAME;

  // Consent Mode default must be in dataLayer before any gated tag can run.
  consentMode('default', notice, {});

  /** @type {ConsentRecord | null} */
  let record = null;
  /** @type {Ui | null} */
  let ui = null;
  let rescan = () => {};
  let booted = false;
  /**
   * Take up the stored decision and gate the page, once. It waits for the non-blocking cookie
   * read (below) unless the page asks `window.consent` first: then a blocking read it is.
   */
  const boot = () => {
    if (booted) return;
    booted = true;
    const tok = readToken(cookies()[cookieName]);
    // A decision still queued may be newer than the cookie's (which is recorded: drop it).
    record = current(tok && fromToken(tok), box.pending(tok?.r), notice);
    if (record) consentMode('update', notice, choices());
    rescan = gate((id) => has(record, notice, id), t, notice.language);
  };

  const choices = () => currentChoices(notice, record);
  /** @returns {PublicRecord | null} */
  const copy = () =>
    record && { ...record, granted: [...record.granted], denied: [...record.denied], choices: choices() };

  /** Tell the page: `consent:change` and onChange callbacks, each with its own copy. */
  const changed = () => {
    emit(EVENT_CHANGE, copy());
    for (const cb of listeners) safe(cb)(copy());
  };

  // Decisions on their way to the server, kept across pages until it has recorded them.
  const box = outbox(
    origin,
    site,
    cookieName,
    cookie.domain,
    // The decision in force is now confirmed: say so again, with `pending: false`.
    (id, tk) => {
      if (record?.receipt !== id) return;
      record = tk ? fromToken(tk) : { ...record, pending: false };
      changed();
    },
    warn,
  );

  /**
   * Apply a decision now, queue it for the server and try to send it.
   * @param {Method} method
   * @param {Layer} layer
   * @param {Record<string, boolean>} [picked]
   */
  function decideNow(method, layer, picked) {
    const chosen = decide(notice, method, picked, gpc);
    // The subject the outbox can prove (its token goes with the decision), else a new one: the
    // server takes a later decision about a subject only with a token of that subject.
    const subject = record?.subject || box.subject() || uuid();
    const prev = record;
    record = makeRecord(notice, chosen, uuid(), subject);
    const body = decisionBody(notice, record, chosen, method, layer, {
      language: lang,
      banner_build: cfg.banner_build,
      gpc,
      // Read now, inside the call: a click handler calling window.consent has an active gesture.
      activation: /** @type {any} */ (navigator).userActivation?.isActive,
    });
    box.add({ site, record, body });
    consentMode('update', notice, chosen);
    const gone = withdrawn(prev, record, method);
    clearCookies(
      items(notice).filter((c) => gone.includes(c.id)),
      cookieName,
    );
    rescan();
    ui?.showDecided();
    changed();
    box.flush();
    // Scripts that already ran cannot be stopped: a reload does (the decision is queued, and its
    // request, sent with keepalive, outlives the page).
    if (notice.reload_on_withdraw !== false && gone.some((id) => prev?.granted.includes(id))) location.reload();
  }

  // The preferences dialog is a second script (static/prefs.js), loaded the first time they open
  // (a failed load is tried again at the next opening). A script element, not fetch + eval: a
  // page's CSP that lets banner.js run from its origin lets this one too.
  /** @type {Promise<unknown> | undefined} */
  let code;
  const loadCode = () =>
    (code ||= new Promise((onload, onerror) =>
      document.head.append(
        h('script', {
          src: `${origin}/v1/sites/${encodeURIComponent(site)}/prefs.js?b=${cfg.banner_build}`,
          onload,
          onerror,
        }),
      ),
    ).catch(() => (code = undefined)));

  // The preferences show the whole notice: fetched once, when they first open, and filled into the
  // objects the UI holds (a failed fetch is tried again at the next opening).
  const openPrefs = () =>
    void Promise.all([(more ||= get(lang)), loadCode()]).then(([n]) => {
      if (n) Object.assign(notice, n, { texts: Object.assign(t, n.texts) });
      else more = undefined;
      boot();
      if (ui) /** @type {any} */ (self).__consentPrefs?.(ui, choices(), record, record && box.receipt(record.receipt));
    });

  // The way back: any [data-consent-open] on the page opens the preferences.
  document.addEventListener('click', (e) => {
    if (/** @type {Element} */ (e.target).closest?.(`[${OPEN_ATTR}]`)) {
      e.preventDefault();
      safe(openPrefs)();
    }
  });

  for (const [name, fn] of Object.entries({
    has: (/** @type {string} */ id) => has(record, notice, id),
    get: copy,
    show: () => ui?.showBanner(),
    showPreferences: openPrefs,
    acceptAll: () => decideNow('accept_all', 'api'),
    rejectAll: () => decideNow('reject_all', 'api'),
    update: (/** @type {Record<string, boolean>} */ c) => decideNow('api', 'api', merge(notice, choices(), c)),
  }))
    impl[name] = (/** @type {any[]} */ ...a) => (boot(), fn(...a));

  const mount = () => {
    try {
      ui = new Ui(
        t,
        notice,
        gpc && !!notice.gpc_categories?.length,
        cfg.floating_button,
        safe(decideNow),
        safe(openPrefs),
        () => [record?.receipt, box.token(record?.subject)],
        origin,
      );
      if (record) ui.showDecided();
      else ui.showBanner();
      rescan(); // inline scripts the parser was still filling in
      box.flush(); // a decision left over from an earlier page, if any
    } catch (err) {
      warn(err);
    }
    readCookiesLive();
    emit(EVENT_READY, copy());
    ready(copy());
  };
  Promise.all([readCookiesEarly(), firstLayer]).then(([, n]) => {
    if (n) [notice, t, lang] = [n, n.texts, n.language];
    safe(boot)();
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
    else mount();
  });
}

/** Define window.consent (every entry point wrapped), then start if the config is usable. */
function main() {
  /** @type {Set<(rec: PublicRecord | null) => void>} */
  const listeners = new Set();
  /** @type {(rec: PublicRecord | null) => void} */
  let ready = () => {};
  /** @type {Record<string, Function>} */
  const impl = {};
  /**
   * @param {string} name
   * @param {unknown} [fallback]
   */
  const call = (name, fallback) =>
    safe((/** @type {any[]} */ ...a) => (impl[name] ? impl[name](...a) : fallback), fallback);
  /** @type {any} */ (window).consent = {
    has: call('has', false),
    get: call('get', null),
    show: call('show'),
    showPreferences: call('showPreferences'),
    acceptAll: call('acceptAll'),
    rejectAll: call('rejectAll'),
    update: call('update'),
    onChange: safe(
      (/** @type {(rec: PublicRecord | null) => void} */ cb) => {
        if (typeof cb === 'function') listeners.add(cb);
        return () => listeners.delete(cb);
      },
      () => {},
    ),
    ready: new Promise((r) => (ready = r)),
  };
  try {
    const cfg = readConfig();
    if (cfg) return start(cfg, ready, listeners, impl);
    warn('no site config');
  } catch (err) {
    warn(err);
  }
  ready(null);
}

main();
