// @ts-check
/**
 * UI strings and the language pick. Pure.
 * Site notices bring their own category texts and may override any key here through `texts`.
 */

/** @typedef {typeof en} Strings */

/** English, and the key order the other languages follow. */
const en = {
  title: 'Cookies on this site',
  description:
    'We use necessary cookies and, with your consent, optional ones, e.g. for analytics. You can change this at any time.',
  acceptAll: 'Accept all',
  rejectAll: 'Reject all',
  preferences: 'Preferences',
  save: 'Save choices',
  close: 'Close',
  alwaysOn: 'Always on',
  policyLink: 'Privacy policy',
  gpcHonoured: 'Global Privacy Control signal honoured.',
  settings: 'Cookie settings',
  receiptTitle: 'Your consent receipt',
  receiptId: 'Receipt ID',
  date: 'Date',
  choices: 'Choices',
  policyVersion: 'Policy version',
  download: 'Download receipt (JSON)',
  pending: 'Not sent yet',
  cookies: 'Cookies',
  cookieName: 'Name',
  provider: 'Provider',
  duration: 'Duration',
  placeholder: 'Blocked until you allow its cookies.',
  placeholderButton: 'Cookie settings',
  granted: 'Allowed',
  denied: 'Refused',
};

/** Key names, in the order of the arrays below. */
export const KEYS = /** @type {(keyof Strings)[]} */ (Object.keys(en));

/**
 * Other languages as arrays in KEYS order (cheaper to ship than repeated keys);
 * an empty string falls back to English.
 * @type {Record<string, string[]>}
 */
export const TRANSLATIONS = {
  de: [
    'Cookies auf dieser Website', // title
    'Wir verwenden nötige Cookies und, mit Ihrer Einwilligung, optionale, z. B. für Statistik. Das können Sie jederzeit ändern.', // description
    'Alle akzeptieren', // acceptAll
    'Alle ablehnen', // rejectAll
    'Einstellungen', // preferences
    'Auswahl speichern', // save
    'Schließen', // close
    'Immer aktiv', // alwaysOn
    'Datenschutzerklärung', // policyLink
    'Global-Privacy-Control-Signal wird beachtet.', // gpcHonoured
    'Cookie-Einstellungen', // settings
    'Ihr Einwilligungsnachweis', // receiptTitle
    'Nachweis-ID', // receiptId
    'Datum', // date
    'Auswahl', // choices
    'Version der Erklärung', // policyVersion
    'Nachweis herunterladen (JSON)', // download
    'Noch nicht gesendet', // pending
    '', // cookies
    '', // cookieName
    'Anbieter', // provider
    'Laufzeit', // duration
    'Blockiert, bis Sie seine Cookies erlauben.', // placeholder
    'Cookie-Einstellungen', // placeholderButton
    'Erlaubt', // granted
    'Abgelehnt', // denied
  ],
  fr: [
    'Les cookies sur ce site', // title
    'Nous utilisons des cookies nécessaires et, avec votre accord, des cookies facultatifs, par ex. de mesure d’audience. Modifiable à tout moment.', // description
    'Tout accepter', // acceptAll
    'Tout refuser', // rejectAll
    'Préférences', // preferences
    'Enregistrer mes choix', // save
    'Fermer', // close
    'Toujours actif', // alwaysOn
    'Politique de confidentialité', // policyLink
    'Signal Global Privacy Control respecté.', // gpcHonoured
    'Paramètres des cookies', // settings
    'Votre reçu de consentement', // receiptTitle
    'Identifiant du reçu', // receiptId
    '', // date
    'Choix', // choices
    'Version de la politique', // policyVersion
    'Télécharger le reçu (JSON)', // download
    'Pas encore envoyé', // pending
    '', // cookies
    'Nom', // cookieName
    'Fournisseur', // provider
    'Durée', // duration
    'Bloqué tant que ses cookies ne sont pas acceptés.', // placeholder
    'Paramètres des cookies', // placeholderButton
    'Accepté', // granted
    'Refusé', // denied
  ],
  nl: [
    'Cookies op deze website', // title
    'We gebruiken noodzakelijke cookies en, met uw toestemming, optionele, bijv. voor statistieken. Dit kunt u altijd wijzigen.', // description
    'Alles accepteren', // acceptAll
    'Alles weigeren', // rejectAll
    'Voorkeuren', // preferences
    'Keuzes opslaan', // save
    'Sluiten', // close
    'Altijd aan', // alwaysOn
    'Privacybeleid', // policyLink
    'Global Privacy Control-signaal gerespecteerd.', // gpcHonoured
    'Cookie-instellingen', // settings
    'Uw toestemmingsbewijs', // receiptTitle
    'Bewijs-ID', // receiptId
    'Datum', // date
    'Keuzes', // choices
    'Beleidsversie', // policyVersion
    'Bewijs downloaden (JSON)', // download
    'Nog niet verzonden', // pending
    '', // cookies
    'Naam', // cookieName
    'Aanbieder', // provider
    'Looptijd', // duration
    'Geblokkeerd totdat u de cookies toestaat.', // placeholder
    'Cookie-instellingen', // placeholderButton
    'Toegestaan', // granted
    'Geweigerd', // denied
  ],
};

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

/**
 * UI strings for a language: English, then the language's own, then the notice's overrides.
 * @param {string} lang
 * @param {Record<string, string>} [overrides]
 * @returns {Strings}
 */
export function strings(lang, overrides = {}) {
  const tr = TRANSLATIONS[lang.toLowerCase().split('-')[0]] || [];
  /** @type {Record<string, string>} */
  const out = {};
  KEYS.forEach((k, i) => {
    const o = overrides[k];
    out[k] = (typeof o === 'string' && o) || tr[i] || en[k];
  });
  return /** @type {Strings} */ (out);
}
