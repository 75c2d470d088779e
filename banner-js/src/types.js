// @ts-check
/**
 * Shared JSDoc typedefs. This module exports nothing at runtime.
 *
 * @typedef {{name?: string, pattern?: string | null, kind?: 'cookie' | 'local_storage' |
 *   'session_storage', provider?: string, duration?: string, party?: 'first' | 'third',
 *   country?: string | null, purpose?: string, description?: string}} CookieInfo
 * @typedef {{name: string, url?: string, country?: string, eu?: boolean}} ThirdParty
 * A service inside a category: `eu` says whether its country is in the EU/EEA.
 * @typedef {{id: string, name: string, provider: string, country: string, eu?: boolean,
 *   privacy_url?: string | null, purpose?: string, cookies?: CookieInfo[],
 *   consent_mode?: string[]}} Service
 * @typedef {{id: string, required?: boolean, title?: string, description?: string,
 *   cookies?: CookieInfo[], services?: Service[], third_parties?: ThirdParty[],
 *   consent_mode?: string[]}} Category
 * @typedef {{name?: string, contact?: string, address?: string | null, email?: string | null}} Controller
 * Every word the banner shows, in the notice's language: the keys of i18n.js KEYS (a notice
 * lacking one is not used) and those of issue #11 (controller, purposes, declarationLink,
 * services, rights, storage kinds, parties, kept*, downloadReceipt, ...: always present in
 * the server's notices, English where a language lacks one; a missing one shows nothing).
 * @typedef {Record<string, string>} Texts
 * @typedef {{site: string, language: string, notice: string, policy_version: string,
 *   policy_url?: string | null, controller?: Controller, jurisdiction?: string,
 *   validity_days?: number, refusal_validity_days?: number,
 *   cookie?: {name?: string, domain?: string | null}, gpc_categories?: string[],
 *   links?: {policy?: string | null, declaration?: string | null},
 *   countries?: Record<string, string>, kept?: {consent?: string, refusal?: string},
 *   reload_on_withdraw?: boolean, texts: Texts, categories: Category[]}} Notice
 * @typedef {{site: string, banner_build: string, default_language: string, languages: string[],
 *   floating_button: boolean, notices: Record<string, Notice>, notices_version: string}} SiteConfig
 *
 * Payload of the signed token kept in the cookie (itsdangerous, uncompressed JSON).
 * @typedef {{r: string, s: string, u: string, g: string[], d: string[], p: string, e: number,
 *   iat?: number}} TokenPayload
 *
 * The visitor's current decision, as index.js holds it.
 * @typedef {{site: string, subject: string, receipt: string, granted: string[], denied: string[],
 *   policy_version: string, expires: number, at: number, pending: boolean}} ConsentRecord
 *
 * What `consent.get()` and event details carry: a copy of the record plus `choices`.
 * @typedef {ConsentRecord & {choices: Record<string, boolean>}} PublicRecord
 *
 * @typedef {'accept_all' | 'reject_all' | 'custom' | 'api'} Method
 * @typedef {'first' | 'preferences' | 'api'} Layer
 *
 * Body of POST /v1/sites/<site>/consents. `user_activation`: layer `api` only, where the browser
 * has navigator.userActivation. `token` is added when it is sent, never queued.
 * @typedef {{id: string, subject: string, notice: string, choices: Record<string, boolean>,
 *   language: string, method: Method, layer: Layer, banner_build: string, gpc: boolean,
 *   user_activation?: boolean, token?: string}} ConsentBody
 *
 * One queued decision: the POST body plus the record it makes, current until the server answers,
 * and `key`, its own random Idempotency-Key (a secret: never in the body, the record or events).
 * @typedef {{site: string, record: ConsentRecord, body: ConsentBody, key: string}} QueueItem
 */
export {};
