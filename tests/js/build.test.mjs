// static/ must be exactly what the current sources build to (the server serves static/, and
// the browser tests drive it), and within the size budget. Same check as `npm run check`.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";

import {
  GZIP_BUDGET,
  options,
  outfile,
} from "../../banner-js/build.config.mjs";

const esbuild = createRequire(
  new URL("../../banner-js/package.json", import.meta.url),
)("esbuild");

const built = await esbuild.build({
  ...options,
  write: false,
  logLevel: "silent",
  mangleCache: {}, // filled with the property names the build shortened
});
const outputs = Object.fromEntries(
  built.outputFiles.map((f) => [basename(f.path), Buffer.from(f.contents)]),
);

test("the build makes banner.js and its source map", () => {
  assert.deepEqual(Object.keys(outputs).sort(), ["banner.js", "banner.js.map"]);
});

for (const name of ["banner.js", "banner.js.map"]) {
  test(`static/${name} is what src/ builds to (run npm run build)`, () => {
    const committed = readFileSync(outfile.replace(/banner\.js$/, name));
    assert.ok(
      committed.equals(outputs[name]),
      `static/${name} is stale: run \`npm run build\` in banner-js/`,
    );
  });
}

test("the bundle leaves its source map to a header and stays within the gzip budget", () => {
  const code = outputs["banner.js"];
  assert.doesNotMatch(code.toString("utf8"), /sourceMappingURL/);
  const gz = gzipSync(code, { level: 9 }).length;
  assert.ok(gz <= GZIP_BUDGET, `gzip ${gz} B > budget ${GZIP_BUDGET} B`);
});

test("the build shortens only the Ui class's own `$` members: no config, storage, wire or API name", () => {
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
