// @ts-check
/**
 * The second script (static/prefs.js): the preferences dialog, its receipt view and download.
 * banner.js loads it only when a visitor opens the preferences (index.js), so a first visit never
 * downloads it; it hands banner.js its one function through `self.__consentPrefs`.
 */
import { openPreferences } from './ui/preferences.js';

/** @type {any} */ (self).__consentPrefs = openPreferences;
