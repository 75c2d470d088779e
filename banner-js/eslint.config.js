import js from '@eslint/js';
import globals from 'globals';

export default [
  js.configs.recommended,
  {
    files: ['src/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // The build scripts, and the node tests in ../tests/js: eslint skips files outside this
    // directory, so `npm run lint` lints those from there, with this config (see package.json).
    files: ['**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
];
