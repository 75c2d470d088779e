// @ts-check
/**
 * The only code touching document.cookie and localStorage. Every access is guarded: a page with
 * storage blocked gets "nothing stored", never an exception. The parse/serialise helpers are pure.
 * The rules for clearing the cookies of withdrawn categories live here too (at the end): which
 * names, which domains.
 * @typedef {import('./types.js').TokenPayload} TokenPayload
 * @typedef {import('./types.js').Category} Category
 */

/**
 * Parse a `document.cookie` string into name -> value (first occurrence wins, like browsers).
 * @param {string} str
 * @returns {Record<string, string>}
 */
export function parseCookies(str) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const part of (str || '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (!rest.length || !name || name in out) continue;
    const value = rest.join('=');
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/**
 * Serialise a Set-Cookie style string for `document.cookie`.
 * @param {string} name
 * @param {string} value
 * @param {{maxAge?: number, domain?: string | null, secure?: boolean}} opts
 */
export function serializeCookie(name, value, opts) {
  let s = `${name}=${encodeURIComponent(value)}; Path=/`;
  if (opts.domain) s += `; Domain=${opts.domain}`;
  if (opts.maxAge !== undefined) s += `; Max-Age=${Math.max(0, Math.floor(opts.maxAge))}`;
  s += '; SameSite=Lax';
  if (opts.secure) s += '; Secure';
  return s;
}

/**
 * Bytes of a base64url string without padding; throws on bad input.
 * @param {string} s
 */
function b64bytes(s) {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

const isStrList = (/** @type {unknown} */ v) => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Read the payload of an itsdangerous URLSafeTimedSerializer token (PAYLOAD.TIMESTAMP.SIG).
 * The signature is not checked (the banner has no key). Garbage, compressed or
 * truncated tokens, and payloads of the wrong shape, give null.
 * @param {unknown} token
 * @returns {TokenPayload | null}
 */
export function readToken(token) {
  try {
    if (typeof token !== 'string') return null;
    const parts = token.split('.');
    if (parts.length !== 3 || !parts[0] || !parts[2]) return null; // '.'-prefixed = compressed
    const t = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64bytes(parts[0])));
    if (
      !'rsup'.split('').every((k) => typeof t?.[k] === 'string') ||
      typeof t.e !== 'number' ||
      !isStrList(t.g) ||
      !isStrList(t.d)
    )
      return null;
    t.iat = 0;
    for (const b of b64bytes(parts[1])) t.iat = t.iat * 256 + b;
    return t;
  } catch {
    return null;
  }
}

/**
 * The cookies as the Cookie Store API read them while the banner starts, or null. The first
 * `document.cookie` read blocks Chromium's main thread for about 2 ms; this read does not. Kept
 * only until the banner has started and never after a write: later reads must see changes.
 * @type {Record<string, string> | null}
 */
let early = null;
let writes = 0;

/** Read the cookies without blocking (where the Cookie Store API exists: https or localhost). */
export async function readCookiesEarly() {
  try {
    const before = writes;
    const all = await /** @type {any} */ (self).cookieStore.getAll();
    if (before === writes) early = parseCookies(all.map((/** @type {any} */ c) => c.name + '=' + c.value).join(';'));
  } catch {
    /* no Cookie Store API: document.cookie it is */
  }
}

/** Forget the early read: from now on every read is live. */
export const readCookiesLive = () => (early = null);

/** The cookies visible to this page, name -> value. */
export function cookies() {
  try {
    return early || parseCookies(document.cookie);
  } catch {
    return {};
  }
}

/**
 * Set a cookie on path /, Secure on https; a max age of 0 or less deletes it.
 * @param {string} name
 * @param {string} value
 * @param {number} maxAge seconds
 * @param {string | null} [domain] '' or null: host-only
 */
export function writeCookie(name, value, maxAge, domain) {
  writes++;
  readCookiesLive();
  try {
    document.cookie = serializeCookie(name, value, { maxAge, domain, secure: location.protocol === 'https:' });
  } catch {
    /* cookies blocked: nothing to do */
  }
}

/**
 * JSON value from localStorage, or null.
 * @param {string} key
 * @returns {any}
 */
export function load(key) {
  try {
    return JSON.parse(/** @type {string} */ (localStorage.getItem(key)));
  } catch {
    return null;
  }
}

/**
 * Store a JSON value in localStorage.
 * @param {string} key
 * @param {unknown} value
 */
export function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or blocked */
  }
}

/**
 * Domains to delete a cookie for: '' (host-only), the host, then each parent domain with a
 * leading dot, down to (not including) the top-level label. IPs and single labels: host-only.
 * @param {string} host
 */
export function cookieDomains(host) {
  const out = [''];
  if (/^[\d.]+$|:|^[^.]*$/.test(host)) return out;
  const labels = host.toLowerCase().split('.');
  for (let i = 0; i < labels.length - 1; i++) out.push((i ? '.' : '') + labels.slice(i).join('.'));
  return out;
}

/**
 * Names of existing cookies listed as first-party in these categories (by name or pattern).
 * @param {Category[]} cats
 * @param {string[]} existing
 */
export function cookiesToClear(cats, existing) {
  const out = new Set();
  for (const c of cats)
    for (const k of c.cookies || []) {
      if (k.party === 'third') continue;
      let re = null;
      try {
        re = k.pattern ? new RegExp(k.pattern) : null;
      } catch {
        /* bad pattern: skip it */
      }
      for (const n of existing) if (n === k.name || re?.test(n)) out.add(n);
    }
  return [...out];
}

/**
 * Delete the first-party cookies of withdrawn categories on this host and its parents.
 * @param {Category[]} cats
 * @param {string} [keep] the consent cookie itself, never deleted here
 */
export function clearCookies(cats, keep) {
  const doms = cookieDomains(location.hostname);
  for (const n of cookiesToClear(cats, Object.keys(cookies())))
    if (n !== keep) for (const d of doms) writeCookie(n, '', 0, d);
}
