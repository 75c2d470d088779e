// Build src/index.js into ../static/banner.js (+ .map): one IIFE, minified.
//   node build.mjs          build and print the gzip / brotli sizes
//   node build.mjs --check  build in memory; exit 1 if static/ differs from the sources
//   node build.mjs --watch  rebuild on change
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { GZIP_BUDGET, options, outfile } from './build.config.mjs';

const mode = process.argv[2];

if (mode === '--watch') {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('watching src/ ...');
} else if (mode === '--check') {
  const result = await esbuild.build({ ...options, write: false });
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
  if (!stale) console.log('static/banner.js is up to date');
  process.exit(stale ? 1 : 0);
} else {
  await esbuild.build(options);
  const code = readFileSync(outfile);
  const gz = gzipSync(code, { level: 9 }).length;
  const br = brotliCompressSync(code).length;
  const kb = (/** @type {number} */ n) => `${(n / 1024).toFixed(2)} KB`;
  console.log(`static/banner.js: ${kb(code.length)} raw, ${kb(gz)} gzip, ${kb(br)} brotli`);
  if (gz > GZIP_BUDGET) {
    console.error(`over budget: gzip ${kb(gz)} > ${kb(GZIP_BUDGET)}`);
    process.exit(1);
  }
}
