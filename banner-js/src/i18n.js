// @ts-check
/**
 * UI strings and the language pick. Pure.
 * Site notices bring their own category texts and may override any key here through `texts`.
 */

/** @typedef {typeof en} Strings */

const en = {
  title: 'Cookies on this site',
  description:
    'We use cookies the site needs to work. With your consent, we also use optional cookies for preferences and third-party services such as analytics. You can change your choice at any time.',
  acceptAll: 'Accept all',
  rejectAll: 'Reject all',
  preferences: 'Preferences',
  prefsTitle: 'Cookie preferences',
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
  thirdParties: 'Third parties',
  cookieName: 'Name',
  provider: 'Provider',
  duration: 'Duration',
  placeholder: 'Blocked until you allow its cookies.',
  placeholderButton: 'Cookie settings',
  granted: 'Allowed',
  denied: 'Refused',
};

/** @type {Record<string, Partial<Strings>>} */
export const STRINGS = {
  en,
  de: {
    title: 'Cookies auf dieser Website',
    description:
      'Wir verwenden Cookies, die die Website braucht. Mit Ihrer Einwilligung auch optionale Cookies für Einstellungen und Dienste Dritter wie Statistik. Sie können Ihre Wahl jederzeit ändern.',
    acceptAll: 'Alle akzeptieren',
    rejectAll: 'Alle ablehnen',
    preferences: 'Einstellungen',
    prefsTitle: 'Cookie-Einstellungen',
    save: 'Auswahl speichern',
    close: 'Schließen',
    alwaysOn: 'Immer aktiv',
    policyLink: 'Datenschutzerklärung',
    gpcHonoured: 'Global-Privacy-Control-Signal wird beachtet.',
    settings: 'Cookie-Einstellungen',
    receiptTitle: 'Ihr Einwilligungsnachweis',
    receiptId: 'Nachweis-ID',
    date: 'Datum',
    choices: 'Auswahl',
    policyVersion: 'Version der Erklärung',
    download: 'Nachweis herunterladen (JSON)',
    pending: 'Noch nicht gesendet',
    thirdParties: 'Drittanbieter',
    provider: 'Anbieter',
    duration: 'Laufzeit',
    placeholder: 'Blockiert, bis Sie seine Cookies erlauben.',
    placeholderButton: 'Cookie-Einstellungen',
    granted: 'Erlaubt',
    denied: 'Abgelehnt',
  },
  fr: {
    title: 'Les cookies sur ce site',
    description:
      'Nous utilisons les cookies nécessaires au site. Avec votre accord, aussi des cookies facultatifs pour vos préférences et des services tiers comme la mesure d’audience. Vous pouvez changer d’avis à tout moment.',
    acceptAll: 'Tout accepter',
    rejectAll: 'Tout refuser',
    preferences: 'Préférences',
    prefsTitle: 'Préférences de cookies',
    save: 'Enregistrer mes choix',
    close: 'Fermer',
    alwaysOn: 'Toujours actif',
    policyLink: 'Politique de confidentialité',
    gpcHonoured: 'Signal Global Privacy Control respecté.',
    settings: 'Paramètres des cookies',
    receiptTitle: 'Votre reçu de consentement',
    receiptId: 'Identifiant du reçu',
    choices: 'Choix',
    policyVersion: 'Version de la politique',
    download: 'Télécharger le reçu (JSON)',
    pending: 'Pas encore envoyé',
    thirdParties: 'Tiers',
    cookieName: 'Nom',
    provider: 'Fournisseur',
    duration: 'Durée',
    placeholder: 'Bloqué tant que ses cookies ne sont pas acceptés.',
    placeholderButton: 'Paramètres des cookies',
    granted: 'Accepté',
    denied: 'Refusé',
  },
  nl: {
    title: 'Cookies op deze website',
    description:
      'We gebruiken cookies die de website nodig heeft. Met uw toestemming ook optionele cookies voor voorkeuren en diensten van derden, zoals statistieken. U kunt uw keuze altijd wijzigen.',
    acceptAll: 'Alles accepteren',
    rejectAll: 'Alles weigeren',
    preferences: 'Voorkeuren',
    prefsTitle: 'Cookievoorkeuren',
    save: 'Keuzes opslaan',
    close: 'Sluiten',
    alwaysOn: 'Altijd aan',
    policyLink: 'Privacybeleid',
    gpcHonoured: 'Global Privacy Control-signaal gerespecteerd.',
    settings: 'Cookie-instellingen',
    receiptTitle: 'Uw toestemmingsbewijs',
    receiptId: 'Bewijs-ID',
    date: 'Datum',
    choices: 'Keuzes',
    policyVersion: 'Beleidsversie',
    download: 'Bewijs downloaden (JSON)',
    pending: 'Nog niet verzonden',
    thirdParties: 'Derden',
    cookieName: 'Naam',
    provider: 'Aanbieder',
    duration: 'Looptijd',
    placeholder: 'Geblokkeerd totdat u de cookies toestaat.',
    placeholderButton: 'Cookie-instellingen',
    granted: 'Toegestaan',
    denied: 'Geweigerd',
  },
};

/**
 * Pick a language among `available`: <html lang>, then navigator.languages, then the site's
 * default, then 'en', then the first available. `de-AT` falls back to `de`.
 * @param {string[]} available languages with a notice
 * @param {{htmlLang?: string | null, navigatorLanguages?: readonly string[], defaultLanguage?: string}} [hints]
 */
export function pickLanguage(available, hints = {}) {
  const have = available.map((l) => l.toLowerCase());
  const wanted = [hints.htmlLang, ...(hints.navigatorLanguages || []), hints.defaultLanguage, 'en'];
  for (const w of wanted) {
    if (!w) continue;
    const tag = w.toLowerCase().replace(/_/g, '-');
    for (const t of [tag, tag.split('-')[0]]) {
      const i = have.indexOf(t);
      if (i >= 0) return available[i];
    }
  }
  return available[0] || 'en';
}

/**
 * UI strings for a language: English, then the language's own, then the notice's overrides.
 * @param {string} lang
 * @param {Record<string, string>} [overrides]
 * @returns {Strings}
 */
export function strings(lang, overrides) {
  /** @type {Record<string, string>} */
  const own = {};
  for (const [k, v] of Object.entries(overrides || {})) if (typeof v === 'string' && k in en) own[k] = v;
  return { ...en, ...STRINGS[lang.toLowerCase().split('-')[0]], ...own };
}
