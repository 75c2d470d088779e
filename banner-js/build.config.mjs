// The esbuild options of the banner bundle, shared by build.mjs and ../tests/js/build.test.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const outfile = join(here, '..', 'static', 'banner.js');
export const GZIP_BUDGET = 8 * 1024;

/** @type {import('esbuild').BuildOptions} */
export const options = {
  absWorkingDir: here,
  entryPoints: ['src/index.js'],
  outfile,
  bundle: true,
  format: 'iife',
  minify: true,
  // No sourceMappingURL comment (bytes on every page view): the server sends a SourceMap header.
  sourcemap: 'external',
  target: ['es2020', 'chrome91', 'firefox90', 'safari15'],
  legalComments: 'none',
  // Properties named `$x` are internal to the bundle and shortened for bytes (the Ui class's own
  // fields and methods). Config, storage, wire, event and window.consent names never start with
  // `$`, so they keep theirs; `_` keeps its usual meaning and is left alone.
  mangleProps: /^\$[a-z]/,
  charset: 'utf8',
  logLevel: 'warning',
};
