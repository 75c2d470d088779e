import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  clearCookies,
  cookieDomains,
  cookies,
  cookiesToClear,
  parseCookies,
  readCookiesEarly,
  readCookiesLive,
  readToken,
  serializeCookie,
  writeCookie,
} from "../../banner-js/src/storage.js";
import { b64url, makeToken, notice, payload } from "./helpers.mjs";

describe("parseCookies", () => {
  test("splits a document.cookie string", () => {
    assert.deepEqual(parseCookies("a=1; consent=x.y.z;b=two"), {
      a: "1",
      consent: "x.y.z",
      b: "two",
    });
  });

  test('keeps "=" inside values and decodes percent-escapes', () => {
    assert.deepEqual(parseCookies("q=a=b; n=%C3%A9t%C3%A9"), {
      q: "a=b",
      n: "été",
    });
  });

  test("first occurrence wins, like browsers (most specific path first)", () => {
    assert.equal(parseCookies("c=first; c=second").c, "first");
  });

  test("tolerates garbage", () => {
    assert.deepEqual(parseCookies(""), {});
    assert.deepEqual(parseCookies("novalue; =x; ok=1; bad=%E0%A4%A"), {
      ok: "1",
      bad: "%E0%A4%A",
    });
  });
});

describe("serializeCookie", () => {
  test("path, lifetime, SameSite, Secure and domain", () => {
    assert.equal(
      serializeCookie("consent", "a.b.c", {
        maxAge: 3600.7,
        domain: ".example.com",
        secure: true,
      }),
      "consent=a.b.c; Path=/; Domain=.example.com; Max-Age=3600; SameSite=Lax; Secure",
    );
  });

  test("host-only, not Secure on http", () => {
    assert.equal(
      serializeCookie("c", "v", { maxAge: 10 }),
      "c=v; Path=/; Max-Age=10; SameSite=Lax",
    );
  });

  test("a past lifetime deletes", () => {
    assert.match(serializeCookie("c", "", { maxAge: -5 }), /Max-Age=0;/);
  });

  test("round-trips through parseCookies", () => {
    const token = makeToken(payload());
    const pair = serializeCookie("consent", token, { maxAge: 1 }).split(";")[0];
    assert.equal(parseCookies(pair).consent, token);
  });
});

describe("readToken", () => {
  test("reads the payload and the issued-at timestamp", () => {
    const t = readToken(makeToken(payload(), 1767225601));
    assert.equal(t.r, "rcpt-1");
    assert.deepEqual(t.g, ["session", "persistent"]);
    assert.deepEqual(t.d, ["third_party"]);
    assert.equal(t.p, "2026-01");
    assert.equal(t.iat, 1767225601);
  });

  test("reads UTF-8 payloads", () => {
    assert.equal(readToken(makeToken(payload({ s: "café" }))).s, "café");
  });

  test("garbage gives null", () => {
    for (const bad of [
      null,
      undefined,
      42,
      "",
      "garbage",
      "a.b",
      "a.b.c.d",
      "!!!.AAAA.sig",
      "....",
    ]) {
      assert.equal(readToken(bad), null, String(bad));
    }
  });

  test("a truncated token gives null", () => {
    const t = makeToken(payload());
    assert.equal(readToken(t.slice(0, 20)), null);
    assert.equal(readToken(t.split(".").slice(0, 2).join(".")), null);
  });

  test('a compressed payload ("." prefix) gives null', () => {
    assert.equal(readToken("." + makeToken(payload())), null);
  });

  test("a payload of the wrong shape gives null", () => {
    assert.equal(readToken(makeToken({ ...payload(), g: "session" })), null);
    assert.equal(readToken(makeToken({ ...payload(), e: "2026" })), null);
    const { r, ...noReceipt } = payload();
    assert.ok(r);
    assert.equal(readToken(makeToken(noReceipt)), null);
    assert.equal(readToken(`${b64url("[1,2]")}.AAAA.sig`), null);
    assert.equal(
      readToken(`${b64url(Buffer.from([0xff, 0xfe]))}.AAAA.sig`),
      null,
    );
  });
});

describe("cookies: the non-blocking early read", () => {
  /** A page with `jar` in document.cookie and, unless `store` is false, a Cookie Store API. */
  function fakePage(jar, store = true) {
    const reads = { document: 0, store: 0 };
    globalThis.self = globalThis;
    globalThis.location = { protocol: "https:" };
    globalThis.document = {
      get cookie() {
        reads.document++;
        return jar;
      },
      set cookie(v) {
        jar = v;
      },
    };
    globalThis.cookieStore = store
      ? {
          getAll: async () => {
            reads.store++;
            return jar
              .split("; ")
              .filter(Boolean)
              .map((p) => ({ name: p.split("=")[0], value: p.split("=")[1] }));
          },
        }
      : undefined;
    return reads;
  }

  test("answers from the Cookie Store without reading document.cookie", async () => {
    const reads = fakePage("consent=a.b.c; n=%C3%A9t%C3%A9");
    await readCookiesEarly();
    assert.deepEqual(cookies(), { consent: "a.b.c", n: "été" });
    assert.equal(reads.document, 0);
    readCookiesLive();
  });

  test("reads live once the banner has started", async () => {
    const reads = fakePage("consent=old");
    await readCookiesEarly();
    readCookiesLive();
    globalThis.document.cookie = "consent=new";
    assert.equal(cookies().consent, "new");
    assert.equal(reads.document, 1);
  });

  test("a write drops the early read, also one still on its way", async () => {
    fakePage("consent=old");
    const pending = readCookiesEarly();
    writeCookie("consent", "new", 60);
    await pending;
    assert.match(cookies().consent, /^new/);
    readCookiesLive();
  });

  test("without a Cookie Store API, document.cookie it is", async () => {
    const reads = fakePage("consent=x", false);
    await readCookiesEarly();
    assert.equal(cookies().consent, "x");
    assert.equal(reads.document, 1);
  });
});

describe("cookieDomains", () => {
  test("host-only, the host, then each parent domain", () => {
    assert.deepEqual(cookieDomains("a.b.example.com"), [
      "",
      "a.b.example.com",
      ".b.example.com",
      ".example.com",
    ]);
  });

  test("a two-label host", () => {
    assert.deepEqual(cookieDomains("example.com"), ["", "example.com"]);
  });

  test("localhost and IP addresses: host-only", () => {
    assert.deepEqual(cookieDomains("localhost"), [""]);
    assert.deepEqual(cookieDomains("127.0.0.1"), [""]);
    assert.deepEqual(cookieDomains("[::1]"), [""]);
  });
});

describe("cookiesToClear", () => {
  const cats = notice().categories;
  const existing = [
    "sid",
    "prefs",
    "_ga",
    "_ga_XYZ",
    "IDE",
    "consent",
    "other",
  ];

  test("first-party cookies by exact name", () => {
    assert.deepEqual(cookiesToClear([cats[1]], existing), ["prefs"]);
  });

  test("first-party cookies by pattern; third-party ones are left alone", () => {
    assert.deepEqual(cookiesToClear([cats[2]], existing).sort(), [
      "_ga",
      "_ga_XYZ",
    ]);
  });

  test("only cookies that exist", () => {
    assert.deepEqual(cookiesToClear([cats[1]], ["sid"]), []);
  });

  test("a bad pattern is skipped, not thrown", () => {
    const cat = {
      id: "x",
      cookies: [{ pattern: "([", party: "first" }, { name: "other" }],
    };
    assert.deepEqual(cookiesToClear([cat], existing), ["other"]);
  });
});

describe("clearCookies", () => {
  /** A page on `hostname` whose cookie jar starts with `names`; returns the cookie writes. */
  function fakePage(hostname, names) {
    const writes = [];
    globalThis.location = { hostname, protocol: "https:" };
    globalThis.document = {
      get cookie() {
        return names.map((n) => `${n}=1`).join("; ");
      },
      set cookie(v) {
        writes.push(v);
      },
    };
    readCookiesLive();
    return writes;
  }

  test("deletes the withdrawn first-party cookies on the host and each parent domain", () => {
    const writes = fakePage("www.example.com", [
      "prefs",
      "_ga_XYZ",
      "IDE",
      "sid",
    ]);
    clearCookies(notice().categories.slice(1), "consent");
    assert.deepEqual(writes, [
      "prefs=; Path=/; Max-Age=0; SameSite=Lax; Secure",
      "prefs=; Path=/; Domain=www.example.com; Max-Age=0; SameSite=Lax; Secure",
      "prefs=; Path=/; Domain=.example.com; Max-Age=0; SameSite=Lax; Secure",
      "_ga_XYZ=; Path=/; Max-Age=0; SameSite=Lax; Secure",
      "_ga_XYZ=; Path=/; Domain=www.example.com; Max-Age=0; SameSite=Lax; Secure",
      "_ga_XYZ=; Path=/; Domain=.example.com; Max-Age=0; SameSite=Lax; Secure",
    ]);
  });

  test("never deletes the consent cookie, even when a pattern matches it", () => {
    const writes = fakePage("localhost", ["consent", "consent_x"]);
    const cat = { id: "x", cookies: [{ pattern: "^consent", party: "first" }] };
    clearCookies([cat], "consent");
    assert.deepEqual(writes, [
      "consent_x=; Path=/; Max-Age=0; SameSite=Lax; Secure",
    ]);
  });

  test("nothing withdrawn, nothing written", () => {
    const writes = fakePage("example.com", ["prefs", "_ga"]);
    clearCookies([], "consent");
    assert.deepEqual(writes, []);
  });
});
