// @ts-check
/**
 * The banner's CSS, adopted into its shadow root (the dialog's part by prefs.js). Lengths are px/em, never rem: the host page
 * owns the root font size. The :host rules are !important because, for important declarations,
 * the shadow tree wins over the page (CSS Cascade 4, "encapsulation contexts").
 */
// One line, no spaces: every byte counts against the gzip budget. No transition or
// animation anywhere, so there is no motion for prefers-reduced-motion to turn off (and host
// page CSS cannot add any inside the shadow root); tests/browser/test_layout.py checks it.
export const CSS = `:host{all:initial!important;display:block!important;visibility:visible!important;font:15px/1.5 system-ui,sans-serif!important;color:#1a1a1a!important}*{box-sizing:border-box;font:inherit;color:inherit;overflow-wrap:anywhere}.b{background:#fff;border:1px solid;border-radius:8px;padding:16px;overflow:auto;max-height:calc(100vh - 16px)}.b,.f{position:fixed;z-index:2147483647}.b{left:8px;right:8px;bottom:8px;max-width:60em;margin:auto}h2{font-size:1.2em}h2,h3,h4,p,dl,ul,dd{margin:0 0 8px}h2,h3,h4,dt,b{font-weight:700}a{color:#0b57d0;display:inline-block}a,summary{min-height:24px}.k{display:flex;flex-wrap:wrap;gap:8px}.k button{flex:1 1 9em}button{cursor:pointer;border:2px solid;border-radius:6px;background:#1a1a1a;color:#fff;padding:8px 16px;min-height:44px}:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}.n{font-size:.9em}.f{left:12px;bottom:12px;min-height:0;padding:6px 12px;border-radius:18px;font-size:13px;border-color:#fff}`;

// The preferences dialog's own rules, adopted after CSS by prefs.js when it first opens: a first
// visit downloads none of them.
export const PREFS_CSS = `.d{background:#fff;border:1px solid;border-radius:8px;padding:16px;overflow:auto;max-height:calc(100vh - 16px);width:100%;max-width:44em}.o{position:fixed;z-index:2147483647;inset:0;background:#0009;display:grid;place-items:center;padding:8px}.c{border-top:1px solid #ccc;padding-top:8px}.w{display:flex;align-items:center;gap:8px}.w>:first-child{flex:1}table{font-size:.9em;border-collapse:collapse;width:100%}input{width:24px;height:24px;margin:0;accent-color:#1a1a1a}th,td{text-align:left;padding:4px;border-bottom:1px solid #ccc}`;
