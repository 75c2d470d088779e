// Shared fixtures for the banner unit tests.
import { readFileSync } from "node:fs";

/**
 * The server's UI strings in a language (consent_server/banner_texts/<lang>.json): what a
 * notice's `texts` holds. The bundle has none of its own.
 */
export const serverTexts = (lang) =>
  JSON.parse(
    readFileSync(
      new URL(
        `../../consent_server/banner_texts/${lang}.json`,
        import.meta.url,
      ),
      "utf8",
    ),
  );

/** base64url without padding, like itsdangerous. */
export const b64url = (buf) => Buffer.from(buf).toString("base64url");

/**
 * An itsdangerous-shaped token PAYLOAD.TIMESTAMP.SIGNATURE (signature is junk: the banner
 * never checks it).
 */
export function makeToken(payload, iat = 1767225600) {
  const ts = Buffer.alloc(4);
  ts.writeUInt32BE(iat);
  return `${b64url(JSON.stringify(payload))}.${b64url(ts)}.${b64url("not-a-real-signature")}`;
}

export const NOW = 1767225600; // 2026-01-01T00:00:00Z

export const payload = (over = {}) => ({
  r: "rcpt-1",
  s: "default",
  u: "subj-1",
  g: ["session", "persistent"],
  d: ["third_party"],
  p: "2026-01",
  e: NOW + 86400,
  ...over,
});

export const notice = (over = {}) => ({
  site: "default",
  language: "en",
  notice: "a".repeat(64),
  policy_version: "2026-01",
  policy_url: "https://example.com/privacy",
  validity_days: 365,
  refusal_validity_days: 180,
  cookie: { name: "consent", domain: null },
  gpc_categories: ["third_party"],
  texts: serverTexts("en"),
  categories: [
    {
      id: "session",
      required: true,
      title: "Session cookies",
      cookies: [{ name: "sid", party: "first" }],
    },
    {
      id: "persistent",
      required: false,
      title: "Persistent cookies",
      cookies: [{ name: "prefs", party: "first" }],
      consent_mode: ["functionality_storage"],
    },
    {
      id: "third_party",
      required: false,
      title: "Third-party cookies",
      cookies: [
        { name: null, pattern: "^_ga", provider: "Google", party: "first" },
        { name: "IDE", provider: "Google", party: "third" },
      ],
      consent_mode: [
        "analytics_storage",
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
      ],
    },
  ],
  ...over,
});
