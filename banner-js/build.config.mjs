// The esbuild options of the banner bundle, shared by build.mjs and ../tests/js/build.test.mjs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const outdir = join(here, '..', 'static');
// banner.js: what every first visit downloads (issue #11: 7 KB gzip -9). prefs.js: the
// preferences dialog, the receipt view and download, fetched only when a visitor opens them.
export const GZIP_BUDGET = 7 * 1024;
export const PREFS_GZIP_BUDGET = 4 * 1024;
/** Each built file and its source map, as the build writes them into outdir. */
export const OUTPUTS = ['banner.js', 'banner.js.map', 'prefs.js', 'prefs.js.map'];

/** @type {import('esbuild').BuildOptions} */
export const options = {
  absWorkingDir: here,
  entryPoints: ['src/index.js'],
  outfile: join(outdir, 'banner.js'),
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
  // Filled with the shortened names, which prefs.js then takes over (buildAll).
  mangleCache: {},
  charset: 'utf8',
  logLevel: 'warning',
};

/**
 * Build banner.js, then prefs.js with banner.js's shortened names: esbuild picks them per output
 * file, and prefs.js works on the Ui object banner.js made (ui/preferences.js).
 * @param {typeof import('esbuild')} esbuild
 * @param {import('esbuild').BuildOptions} [extra] e.g. `{ write: false }`
 */
export async function buildAll(esbuild, extra = {}) {
  const banner = await esbuild.build({ ...options, ...extra });
  const prefs = await esbuild.build({
    ...options,
    ...extra,
    entryPoints: ['src/prefs.js'],
    outfile: join(outdir, 'prefs.js'),
    mangleCache: banner.mangleCache,
  });
  return {
    outputFiles: [...(banner.outputFiles || []), ...(prefs.outputFiles || [])],
    mangleCache: prefs.mangleCache || {},
  };
}
