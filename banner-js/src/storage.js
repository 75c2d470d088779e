// @ts-check
/**
 * The only code touching document.cookie and localStorage. Every access is guarded: a page with
 * storage blocked gets "nothing stored", never an exception. The parse/serialise helpers are pure.
 * @typedef {import('./types.js').TokenPayload} TokenPayload
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
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!name || name in out) continue;
    const value = part.slice(i + 1).trim();
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
 * @param {{maxAge?: number, domain?: string | null, secure?: boolean, path?: string}} [opts]
 */
export function serializeCookie(name, value, opts = {}) {
  let s = `${name}=${encodeURIComponent(value)}; Path=${opts.path || '/'}`;
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
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new Error('not base64url');
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
    if (!'rsup'.split('').every((k) => typeof t?.[k] === 'string') || typeof t.e !== 'number' || !isStrList(t.g) || !isStrList(t.d))
      return null;
    t.iat = 0;
    for (const b of b64bytes(parts[1])) t.iat = t.iat * 256 + b;
    return t;
  } catch {
    return null;
  }
}

/**
 * Value of one cookie, or null.
 * @param {string} name
 */
export function readCookie(name) {
  try {
    return parseCookies(document.cookie)[name] ?? null;
  } catch {
    return null;
  }
}

/** Names of the cookies visible to this page. */
export function cookieNames() {
  try {
    return Object.keys(parseCookies(document.cookie));
  } catch {
    return [];
  }
}

/**
 * Store the signed token until its expiry (unix seconds).
 * @param {string} name
 * @param {string} token
 * @param {number} expires
 * @param {string | null} [domain]
 */
export function writeToken(name, token, expires, domain) {
  setCookie(serializeCookie(name, token, { maxAge: expires - Date.now() / 1000, domain, secure: isHttps() }));
}

/**
 * Delete a cookie for one domain ('' = host-only), path /.
 * @param {string} name
 * @param {string} domain
 */
export function deleteCookie(name, domain) {
  setCookie(serializeCookie(name, '', { maxAge: 0, domain, secure: isHttps() }));
}

/** @param {string} str */
function setCookie(str) {
  try {
    document.cookie = str;
  } catch {
    /* cookies blocked: nothing to do */
  }
}

function isHttps() {
  try {
    return location.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * JSON value from localStorage, or null.
 * @param {string} key
 * @returns {any}
 */
export function load(key) {
  try {
    const v = localStorage.getItem(key);
    return v === null ? null : JSON.parse(v);
  } catch {
    return null;
  }
}

/**
 * Store a JSON value in localStorage (null removes the key).
 * @param {string} key
 * @param {unknown} value
 */
export function save(key, value) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or blocked */
  }
}
