// static/ must be exactly what the current sources build to (the server serves static/, and
// the browser tests drive it), and within the size budget. Same check as `npm run check`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import { join } from "node:path";

import {
  GZIP_BUDGET,
  OUTPUTS,
  PREFS_GZIP_BUDGET,
  buildAll,
  outdir,
} from "../../banner-js/build.config.mjs";

const esbuild = createRequire(
  new URL("../../banner-js/package.json", import.meta.url),
)("esbuild");

// mangleCache: the property names the build shortened, in both scripts.
const built = await buildAll(esbuild, { write: false, logLevel: "silent" });
const outputs = Object.fromEntries(
  built.outputFiles.map((f) => [basename(f.path), Buffer.from(f.contents)]),
);

test("the build makes banner.js, prefs.js and their source maps", () => {
  assert.deepEqual(Object.keys(outputs).sort(), [...OUTPUTS].sort());
});

for (const name of OUTPUTS) {
  test(`static/${name} is what src/ builds to (run npm run build)`, () => {
    const committed = readFileSync(join(outdir, name));
    assert.ok(
      committed.equals(outputs[name]),
      `static/${name} is stale: run \`npm run build\` in banner-js/`,
    );
  });
}

for (const [name, budget] of [
  ["banner.js", GZIP_BUDGET],
  ["prefs.js", PREFS_GZIP_BUDGET],
]) {
  test(`${name} leaves its source map to a header and stays within its gzip budget`, () => {
    const code = outputs[name];
    assert.doesNotMatch(code.toString("utf8"), /sourceMappingURL/);
    const gz = gzipSync(code, { level: 9 }).length;
    assert.ok(gz <= budget, `gzip ${gz} B > budget ${budget} B`);
  });
}

test("the first visit's bundle code is within issue #11's 7,168 B gzip -9", () => {
  assert.equal(GZIP_BUDGET, 7168);
});

test("the preferences (dialog, receipt view, download) are in prefs.js alone", () => {
  const banner = outputs["banner.js"].toString("utf8");
  const prefs = outputs["prefs.js"].toString("utf8");
  // Text keys only the dialog reads, and the receipt file endpoint.
  for (const word of ["rightsTitle", "keptTitle", "downloadReceipt", "/file"]) {
    assert.ok(!banner.includes(word), `banner.js holds ${word}`);
    assert.ok(prefs.includes(word), `prefs.js lacks ${word}`);
  }
  assert.match(banner, /\/prefs\.js\?b=\$\{/);
  assert.match(prefs, /__consentPrefs=/);
});

test("prefs.js reads the Ui's members by the names banner.js gave them", () => {
  const banner = outputs["banner.js"].toString("utf8");
  const prefs = outputs["prefs.js"].toString("utf8");
  const short = built.mangleCache;
  // banner.js sets the receipt callback and origin in the constructor; prefs.js calls them.
  const set = (name) => new RegExp(`this\\.${short[name]}=`);
  for (const name of ["$receipt", "$origin", "$root", "$t", "$notice"]) {
    assert.match(banner, set(name), name);
    assert.ok(prefs.includes(`.${short[name]}`), name);
  }
});

test("the build shortens only the Ui class's own `$` members: no config, storage, wire or API name", () => {
  // Shortened alike in both scripts: prefs.js opens the dialog into the same Ui object.
  const ui = readFileSync(
    new URL("../../banner-js/src/ui/banner.js", import.meta.url),
    "utf8",
  );
  const own = new Set(
    ui.match(/(?<=this\.)\$[a-z]\w*(?= =)|(?<=^ {2})\$[a-z]\w*(?=\()/gm),
  );
  const shortened = Object.keys(built.mangleCache);
  assert.ok(shortened.length > 0);
  for (const name of shortened) assert.ok(own.has(name), name);
});
