// @ts-check
/**
 * Public surface: `window.consent` and the wiring between config, state, storage, gating, UI and
 * events. This module alone holds the current record and hands it to the others.
 * @typedef {import('./types.js').SiteConfig} SiteConfig
 * @typedef {import('./types.js').ConsentRecord} ConsentRecord
 * @typedef {import('./types.js').PublicRecord} PublicRecord
 * @typedef {import('./types.js').QueueItem} QueueItem
 * @typedef {import('./types.js').Method} Method
 * @typedef {import('./types.js').Layer} Layer
 */
import { postConsent } from './api.js';
import { readConfig } from './config.js';
import { modeDefault, modeUpdate } from './consentmode.js';
import { COOKIE_NAME, EVENT_CHANGE, EVENT_READY, OPEN_ATTR, QUEUE_KEY, RECEIPT_KEY, SUBJECT_KEY } from './constants.js';
import { emit } from './events.js';
import { clearCookies, Gate } from './gating.js';
import { pickLanguage, strings } from './i18n.js';
import { backoff, dequeue, enqueue, latest, outcome, sanitize } from './queue.js';
import { currentChoices, decide, fromQueue, fromToken, has, isStale, makeRecord, withdrawn } from './state.js';
import { load, readCookie, readToken, save, writeToken } from './storage.js';
import { Ui } from './ui/banner.js';

// Only readable while this file is being executed, so capture it first.
const script = /** @type {HTMLScriptElement | null} */ (document.currentScript);

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
        console.warn('[consent]', err);
        return fallback;
      }
    }
  );

/** A random UUID v4 (crypto.randomUUID needs a secure context, hence the fallback). */
const uuid = () =>
  crypto.randomUUID
    ? crypto.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
        (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (+c / 4)))).toString(16),
      );

/** Origin of the consent server: where this script came from. */
function serverOrigin() {
  try {
    return new URL(/** @type {HTMLScriptElement} */ (script).src).origin;
  } catch {
    return location.origin;
  }
}

/** @param {() => void} fn */
const onDomReady = (fn) =>
  document.readyState === 'loading' ? document.addEventListener('DOMContentLoaded', fn, { once: true }) : fn();

/**
 * Start the banner for one site config.
 * @param {SiteConfig} cfg
 * @param {any} api the window.consent object to fill in
 * @param {(rec: PublicRecord | null) => void} resolveReady
 * @param {Set<(rec: PublicRecord | null) => void>} listeners
 */
function start(cfg, api, resolveReady, listeners) {
  const site = cfg.site;
  const origin = serverOrigin();
  const lang = pickLanguage(cfg.languages, {
    htmlLang: document.documentElement.lang,
    navigatorLanguages: navigator.languages,
    defaultLanguage: cfg.default_language,
  });
  const notice = cfg.notices[lang];
  const t = strings(lang, notice.texts);
  const gpc = /** @type {any} */ (navigator).globalPrivacyControl === true;
  const cookieName = notice.cookie?.name || COOKIE_NAME;
  const qKey = QUEUE_KEY + site;
  const rKey = RECEIPT_KEY + site;
  const sKey = SUBJECT_KEY + site;

  // Consent Mode default must be in dataLayer before any gated tag can run.
  modeDefault(notice);

  /** @returns {QueueItem[]} */
  const queue = () => sanitize(load(qKey));

  /** The stored decision: the cookie, or a newer decision still waiting to be sent. */
  function stored() {
    const tok = readToken(readCookie(cookieName));
    /** @type {ConsentRecord | null} */
    let rec = tok && fromToken(tok);
    if (rec) save(qKey, dequeue(queue(), rec.receipt)); // already recorded
    const q = latest(queue(), site);
    if (q && (!rec || q.at >= rec.at)) rec = fromQueue(q);
    return isStale(rec, notice) ? null : rec;
  }

  /** @type {ConsentRecord | null} */
  let record = stored();
  /** @type {Ui | null} */
  let ui = null;

  const choicesOf = (/** @type {ConsentRecord | null} */ r) => currentChoices(notice, r);
  /** @returns {PublicRecord | null} */
  const copy = () =>
    record && { ...record, granted: [...record.granted], denied: [...record.denied], choices: choicesOf(record) };

  if (record) modeUpdate(notice, choicesOf(record));
  const gate = new Gate((id) => has(record, notice, id), t);
  gate.start();

  function changed() {
    emit(EVENT_CHANGE, copy());
    for (const cb of [...listeners]) safe(cb)(copy());
  }

  /**
   * Apply a decision now, queue it for the server and try to send it.
   * @param {Method} method
   * @param {Layer} layer
   * @param {Record<string, boolean>} [picked]
   */
  function decideNow(method, layer, picked) {
    const choices = decide(notice, method, picked, gpc);
    const subject = record?.subject || load(sKey) || uuid();
    save(sKey, subject);
    const prev = record;
    const next = makeRecord(notice, choices, uuid(), subject);
    /** @type {Record<string, boolean>} */
    const optional = {};
    for (const c of notice.categories) if (!c.required) optional[c.id] = choices[c.id];
    save(
      qKey,
      enqueue(queue(), {
        site,
        record: next,
        body: {
          id: next.receipt,
          subject,
          notice: notice.notice,
          choices: optional,
          language: lang,
          method,
          layer,
          banner_build: cfg.banner_build,
          gpc,
        },
      }),
    );
    record = next;
    modeUpdate(notice, choices);
    const gone = withdrawn(prev, next, method);
    if (gone.length) clearCookies(notice.categories.filter((c) => gone.includes(c.id)), cookieName);
    gate.scan(document);
    ui?.hideBanner();
    ui?.floating(true);
    ui?.closePrefs();
    changed();
    flush();
  }

  let sending = false;
  let attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  /** Send queued decisions, oldest first; stop and back off on a network error or 5xx. */
  async function flush() {
    if (sending) return;
    sending = true;
    clearTimeout(timer);
    try {
      for (let q; (q = queue().find((x) => x.site === site)); ) {
        const { status, data } = await postConsent(origin, site, q.body);
        const what = outcome(status);
        if (what === 'retry') {
          timer = setTimeout(flush, backoff(attempt++));
          return;
        }
        save(qKey, dequeue(queue(), q.body.id));
        attempt = 0;
        if (what === 'drop') console.warn('[consent] decision refused', status, data);
        else recorded(q, data);
      }
    } catch (err) {
      console.warn('[consent]', err);
    } finally {
      sending = false;
    }
  }

  /**
   * The server stored a decision: keep its receipt and put its token in the cookie.
   * @param {QueueItem} q
   * @param {any} data
   */
  function recorded(q, data) {
    if (data?.receipt) save(rKey, data.receipt);
    const tok = readToken(data?.token);
    if (tok) writeToken(cookieName, data.token, tok.e, notice.cookie?.domain);
    if (record?.receipt === q.body.id) record = tok ? fromToken(tok) : { ...record, pending: false };
  }

  /** What the preferences show of the current decision. */
  function receiptView() {
    if (!record) return null;
    const json = load(rKey);
    const mine = json?.id === record.receipt ? json : null;
    return {
      id: record.receipt,
      date: new Date(mine?.created_at || record.at * 1000).toLocaleString(lang),
      choices: choicesOf(record),
      policy_version: record.policy_version,
      pending: record.pending,
      json: mine,
    };
  }

  const openPrefs = () => ui?.openPrefs(choicesOf(record), receiptView());

  Object.assign(api, {
    has: safe((/** @type {string} */ id) => has(record, notice, id), false),
    get: safe(copy, null),
    show: safe(() => ui?.showBanner()),
    showPreferences: safe(openPrefs),
    acceptAll: safe(() => decideNow('accept_all', 'api')),
    rejectAll: safe(() => decideNow('reject_all', 'api')),
    update: safe((/** @type {Record<string, boolean>} */ choices) =>
      decideNow('api', 'api', { ...choicesOf(record), ...choices }),
    ),
  });

  // The way back: any [data-consent-open] on the page opens the preferences.
  document.addEventListener(
    'click',
    safe((/** @type {MouseEvent} */ e) => {
      const el = /** @type {Element} */ (e.target).closest?.(`[${OPEN_ATTR}]`);
      if (!el) return;
      e.preventDefault();
      openPrefs();
    }),
  );
  addEventListener('online', () => flush());

  onDomReady(() => {
    try {
      ui = new Ui({
        t,
        lang,
        notice,
        gpc,
        floating: cfg.floating_button,
        actions: {
          accept: safe((layer) => decideNow('accept_all', layer)),
          reject: safe((layer) => decideNow('reject_all', layer)),
          save: safe((choices) => decideNow('custom', 'preferences', choices)),
          prefs: safe(openPrefs),
        },
      });
      if (record) ui.floating(true);
      else ui.showBanner();
      gate.scan(document); // inline scripts the parser was still filling in
      flush(); // a decision left over from an earlier page, if any
    } catch (err) {
      console.warn('[consent]', err);
    }
    emit(EVENT_READY, copy());
    resolveReady(copy());
  });
}

/** Define window.consent, then start if there is a usable config. */
function main() {
  /** @type {Set<(rec: PublicRecord | null) => void>} */
  const listeners = new Set();
  /** @type {(rec: PublicRecord | null) => void} */
  let resolveReady = () => {};
  const api = {
    has: () => false,
    get: () => null,
    show() {},
    showPreferences() {},
    acceptAll() {},
    rejectAll() {},
    update() {},
    onChange: safe((/** @type {(rec: PublicRecord | null) => void} */ cb) => {
      if (typeof cb === 'function') listeners.add(cb);
      return () => listeners.delete(cb);
    }, () => {}),
    ready: new Promise((r) => (resolveReady = r)),
  };
  /** @type {any} */ (window).consent = api;
  const cfg = readConfig();
  if (!cfg) {
    console.warn('[consent] no usable site config; the banner is off');
    resolveReady(null);
    return;
  }
  try {
    start(cfg, api, resolveReady, listeners);
  } catch (err) {
    console.warn('[consent]', err);
    resolveReady(null);
  }
}

try {
  main();
} catch (err) {
  console.warn('[consent]', err);
}
