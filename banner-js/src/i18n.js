// @ts-check
/**
 * The language pick, and the names of the UI strings. Pure. The bundle holds no user-visible
 * text: every string comes from the notice (`notice.texts`, made by the server from its
 * consent_server/banner_texts/<lang>.json and the site's overrides), so the notice hashed into a
 * receipt holds every word the visitor read.
 * @typedef {import('./types.js').Texts} Texts
 */

/**
 * The keys every notice's `texts` must have (a notice without one is not used: config.js): the
 * words of what shows before the preferences (the first layer, the settings button, the iframe
 * placeholder), so the banner never asks for consent with a word missing. The preferences' own
 * words come with the whole notice (every key the server has: English where a language lacks
 * one); tests/js/i18n.test.mjs checks every key the UI reads is one of the server's.
 * @type {(keyof Texts)[]}
 */
export const KEYS = /** @type {(keyof Texts)[]} */ (
  'title description acceptAll rejectAll preferences policyLink gpcHonoured settings placeholder placeholderButton'.split(
    ' ',
  )
);

/**
 * Pick a language among `available`: the first of `wanted` (in the banner: <html lang>, then
 * navigator.languages, then the site's default) that has one, then 'en', then the first
 * available. `de-AT` falls back to `de`; empty or missing entries are skipped.
 * @param {string[]} available languages with a notice
 * @param {(string | null | undefined)[]} [wanted] language tags, most wanted first
 */
export function pickLanguage(available, wanted = []) {
  const have = available.map((l) => l.toLowerCase());
  for (const w of [...wanted, 'en']) {
    const tag = (w || '').toLowerCase().replace(/_/g, '-');
    const i = have.indexOf(tag) + 1 || have.indexOf(tag.split('-')[0]) + 1; // 0 = not found
    if (tag && i) return available[i - 1];
  }
  return available[0] || 'en';
}
