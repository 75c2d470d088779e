// @ts-check
/**
 * Site config: defaults and validation. Pure apart from `readConfig`, which only reads the
 * global the server inlines.
 * @typedef {import('./types.js').SiteConfig} SiteConfig
 * @typedef {import('./types.js').Notice} Notice
 */
import { KEYS } from './i18n.js';

/**
 * Whether a notice has the fields the banner relies on, every UI string among them: the banner
 * has no words of its own, and shows none the notice (hashed into the receipt) lacks.
 * @param {any} n
 * @param {string} site
 */
const validNotice = (n, site) =>
  n?.site === site &&
  typeof n.notice === 'string' &&
  typeof n.policy_version === 'string' &&
  KEYS.every((k) => typeof n.texts?.[k] === 'string') &&
  Array.isArray(n.categories) &&
  n.categories.every((/** @type {any} */ c) => typeof c?.id === 'string');

/**
 * Validate a raw site config and fill defaults; null when unusable.
 * Malformed notices (or ones for another site) are dropped; at least one must remain.
 * `languages` are all the site has: those of the inlined notices, and the ones it lists, which
 * `fetchNotice` gets one at a time.
 * @param {unknown} raw
 * @returns {SiteConfig | null}
 */
export function validateConfig(raw) {
  const r = /** @type {any} */ (raw);
  if (typeof r?.site !== 'string' || typeof r.notices !== 'object') return null;
  /** @type {Record<string, Notice>} */
  const notices = {};
  for (const [lang, n] of Object.entries(r.notices || {})) if (validNotice(n, r.site)) notices[lang] = n;
  const listed = Array.isArray(r.languages) ? r.languages.filter((/** @type {any} */ l) => typeof l == 'string') : [];
  const languages = Object.keys(notices);
  return languages.length
    ? {
        banner_build: '',
        default_language: 'en',
        notices_version: '',
        ...r,
        floating_button: r.floating_button !== false,
        languages: [...languages, ...listed],
        notices,
      }
    : null;
}

/**
 * The notice of `lang` (whole, or its first layer as banner.js inlines it): fetched by `get`
 * (api.js) and used only if it is a notice of this site in that language; else null.
 * @param {SiteConfig} cfg
 * @param {string} lang
 * @param {(lang: string) => Promise<unknown>} get
 * @returns {Promise<Notice | null>}
 */
export const fetchNotice = async (cfg, lang, get) =>
  ((n) => (validNotice(n, cfg.site) && n.language === lang ? n : null))(await get(lang));

/**
 * The config the server inlined before the bundle (`self.__consentSite=...;`), or null.
 * @returns {SiteConfig | null}
 */
export const readConfig = () => validateConfig(/** @type {any} */ (self).__consentSite);

/**
 * An http(s) URL as a string, or null (no javascript:, data:, ...).
 * @param {unknown} url
 * @param {string} [base]
 */
export function safeUrl(url, base) {
  try {
    const u = new URL(/** @type {string} */ (url), base);
    return typeof url === 'string' && /^https?:$/.test(u.protocol) ? u.href : null;
  } catch {
    return null;
  }
}
