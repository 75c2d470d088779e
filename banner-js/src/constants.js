// @ts-check
/** Names shared by the banner modules; nothing here has side effects. */

/** CustomEvent names dispatched on `document`. */
export const EVENT_READY = 'consent:ready';
export const EVENT_CHANGE = 'consent:change';

/** Default name of the first-party cookie holding the signed token. */
export const COOKIE_NAME = 'consent';

/** localStorage key prefixes; the site id is appended. */
export const QUEUE_KEY = 'consent:queue:';
export const RECEIPT_KEY = 'consent:receipt:';
// The last token the server returned: its subject is the visitor's pseudonymous id, and it proves
// that subject to the server in the next decision, even after the cookie has expired.
export const TOKEN_KEY = 'consent:token:';

/** Attributes read from the host page. */
export const OPEN_ATTR = 'data-consent-open';
export const GATE_ATTR = 'data-consent';

/** CSS class prefix for nodes the banner puts in the light DOM (placeholders). */
export const PREFIX = 'consent-';

/** Network: POST timeout and retry backoff (2 s, 4 s, ... capped at 60 s). */
export const TIMEOUT_MS = 5000;
export const BACKOFF_BASE_MS = 2000;
export const BACKOFF_MAX_MS = 60000;

/** Consent Mode: how long tags wait for the `update` call after `default`. */
export const WAIT_FOR_UPDATE_MS = 500;
