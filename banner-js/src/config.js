// @ts-check
/**
 * Site config: defaults and validation. Pure apart from `readConfig`, which only reads the
 * inlined global or the JSON script element.
 * @typedef {import('./types.js').SiteConfig} SiteConfig
 * @typedef {import('./types.js').Notice} Notice
 */
import { CONFIG_ID } from './constants.js';

const isObj = (/** @type {any} */ v) => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether a notice has the fields the banner relies on.
 * @param {any} n
 * @returns {n is Notice}
 */
const validNotice = (n) =>
  isObj(n) &&
  typeof n.site === 'string' &&
  typeof n.notice === 'string' &&
  typeof n.policy_version === 'string' &&
  Array.isArray(n.categories) &&
  n.categories.every((/** @type {any} */ c) => isObj(c) && typeof c.id === 'string');

/**
 * Validate a raw site config and fill defaults; null when unusable.
 * Notices that are malformed are dropped; at least one must remain.
 * @param {unknown} raw
 * @returns {SiteConfig | null}
 */
export function validateConfig(raw) {
  if (!isObj(raw)) return null;
  const r = /** @type {any} */ (raw);
  if (typeof r.site !== 'string' || !isObj(r.notices)) return null;
  /** @type {Record<string, Notice>} */
  const notices = {};
  for (const [lang, n] of Object.entries(r.notices)) {
    if (validNotice(n) && n.site === r.site) notices[lang] = n;
  }
  const languages = Object.keys(notices);
  if (!languages.length) return null;
  return {
    site: r.site,
    banner_build: typeof r.banner_build === 'string' ? r.banner_build : '',
    default_language: typeof r.default_language === 'string' ? r.default_language : 'en',
    languages,
    floating_button: r.floating_button !== false,
    notices,
  };
}

/**
 * The config the server inlined (`self.__consentSite`), else a
 * `<script type="application/json" id="consent-config">` element; null if neither parses.
 * @returns {SiteConfig | null}
 */
export function readConfig() {
  /** @type {any} */
  let raw = /** @type {any} */ (self).__consentSite;
  if (!raw) {
    const el = document.getElementById(CONFIG_ID);
    if (el) {
      try {
        raw = JSON.parse(el.textContent || '');
      } catch {
        raw = null;
      }
    }
  }
  return validateConfig(raw);
}

/**
 * An http(s) URL as a string, or null (no javascript:, data:, ...).
 * @param {unknown} url
 * @param {string} [base]
 */
export function safeUrl(url, base) {
  if (typeof url !== 'string' || !url) return null;
  try {
    const u = new URL(url, base);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch {
    return null;
  }
}
