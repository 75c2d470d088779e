// Build src/index.js into ../static/banner.js and src/prefs.js into ../static/prefs.js (+ maps):
// one IIFE each, minified.
//   node build.mjs          build and print the gzip / brotli sizes
//   node build.mjs --check  build in memory; exit 1 if static/ differs from the sources
//   node build.mjs --watch  rebuild on change
import * as esbuild from 'esbuild';
import { readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { GZIP_BUDGET, PREFS_GZIP_BUDGET, buildAll, outdir } from './build.config.mjs';

const mode = process.argv[2];

if (mode === '--watch') {
  // Both scripts again on any change under src/ (a full build takes milliseconds).
  let timer;
  watch('src', { recursive: true }, () => {
    clearTimeout(timer);
    timer = setTimeout(() => buildAll(esbuild).then(() => console.log('rebuilt'), console.error), 50);
  });
  await buildAll(esbuild);
  console.log('watching src/ ...');
} else if (mode === '--check') {
  const result = await buildAll(esbuild, { write: false });
  let stale = false;
  for (const f of result.outputFiles) {
    let current = null;
    try {
      current = readFileSync(f.path);
    } catch {
      /* missing */
    }
    if (!current || !current.equals(Buffer.from(f.contents))) {
      console.error(`stale: ${f.path} differs from what src/ builds to; run npm run build`);
      stale = true;
    }
  }
  if (!stale) console.log('static/banner.js and static/prefs.js are up to date');
  process.exit(stale ? 1 : 0);
} else {
  await buildAll(esbuild);
  const kb = (/** @type {number} */ n) => `${(n / 1024).toFixed(2)} KB`;
  let over = false;
  for (const [name, budget] of /** @type {[string, number][]} */ ([
    ['banner.js', GZIP_BUDGET],
    ['prefs.js', PREFS_GZIP_BUDGET],
  ])) {
    const code = readFileSync(join(outdir, name));
    const gz = gzipSync(code, { level: 9 }).length;
    const br = brotliCompressSync(code).length;
    console.log(`static/${name}: ${kb(code.length)} raw, ${kb(gz)} gzip, ${kb(br)} brotli`);
    if (gz > budget) {
      console.error(`over budget: ${name} gzip ${kb(gz)} > ${kb(budget)}`);
      over = true;
    }
  }
  if (over) process.exit(1);
}
