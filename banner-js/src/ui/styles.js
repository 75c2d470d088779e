// @ts-check
/**
 * The banner's CSS, adopted into its shadow root. Lengths are px/em, never rem: the host page
 * owns the root font size. The :host rules are !important because, for important declarations,
 * the shadow tree wins over the page (CSS Cascade 4, "encapsulation contexts").
 */
export const CSS = `:host{all:initial!important;display:block!important;visibility:visible!important;font:15px/1.5 system-ui,sans-serif!important;color:#1a1a1a!important}
*{box-sizing:border-box;font:inherit;color:inherit;overflow-wrap:anywhere}
.b,.d{background:#fff;border:1px solid;border-radius:8px;padding:16px;overflow:auto}
.b{position:fixed;z-index:2147483646;left:8px;right:8px;bottom:8px;max-width:60em;margin:auto;max-height:calc(100vh - 16px)}
.o{position:fixed;inset:0;z-index:2147483647;background:#0009;display:grid;place-items:center;padding:8px}
.d{position:relative;width:100%;max-width:44em;max-height:calc(100vh - 16px)}
h2{font-size:1.2em;padding-right:40px}
h2,h3,p,dd{margin:0 0 8px}
h2,h3,dt{font-weight:700}
a{color:#0b57d0}
.k{display:flex;flex-wrap:wrap;gap:8px}
.k button{flex:1 1 9em}
button{cursor:pointer;border:2px solid;border-radius:6px;background:#1a1a1a;color:#fff;padding:8px 16px;min-height:44px}
.x{position:absolute;top:8px;right:8px;min-height:0;padding:0 8px}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.c{border-top:1px solid #ccc;padding-top:8px}
.w{display:flex;align-items:center;justify-content:space-between;gap:8px}
.n{font-size:.9em}
input{width:22px;height:22px;accent-color:#1a1a1a}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{text-align:left;padding:4px;border-bottom:1px solid #ccc}
.f{position:fixed;z-index:2147483645;left:12px;bottom:12px;min-height:0;padding:6px 12px;border-radius:18px;font-size:13px;border-color:#fff}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}`;
