// @ts-check
/**
 * The banner's CSS, adopted into its shadow root. Lengths are px/em, never rem: the host page
 * owns the root font size. The :host rules are !important because, for important declarations,
 * the shadow tree wins over the page (CSS Cascade 4, "encapsulation contexts").
 */
export const CSS = `
:host{all:initial!important;display:block!important;visibility:visible!important;opacity:1!important;position:static!important;transform:none!important;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif!important;color:#1a1a1a!important}
*{box-sizing:border-box;font:inherit;color:inherit}
[hidden]{display:none!important}
.b,.d{background:#fff;color:#1a1a1a;border:1px solid #767676;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.3);padding:16px 20px;overflow:auto}
.b{position:fixed;z-index:2147483646;left:8px;right:8px;bottom:8px;max-width:960px;margin:0 auto;max-height:calc(100vh - 16px)}
.o{position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.55);display:flex;align-items:center;justify-content:center;padding:8px}
.d{position:relative;width:100%;max-width:680px;max-height:100%}
h2{font-size:1.2em;font-weight:700;margin:0 0 8px}
h3{font-size:1em;font-weight:700;margin:0}
p{margin:0 0 8px}
a{color:#0b57d0;text-decoration:underline}
.k{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
.k button{flex:1 1 9em}
button{cursor:pointer;border:2px solid #1a1a1a;border-radius:6px;background:#1a1a1a;color:#fff;padding:8px 16px;min-height:44px;font-weight:600;text-align:center}
button:hover{background:#3d3d3d}
.x{position:absolute;top:8px;right:8px;min-height:36px;padding:2px 10px;background:#fff;color:#1a1a1a}
.x:hover{background:#eee}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.c{border-top:1px solid #ccc;padding:12px 0}
.w{display:flex;align-items:center;justify-content:space-between;gap:8px;flex-wrap:wrap}
.n{font-size:.9em;color:#404040}
input{appearance:none;-webkit-appearance:none;flex:none;position:relative;width:44px;height:24px;margin:0;border:2px solid #1a1a1a;border-radius:12px;background:#fff;cursor:pointer}
input::before{content:"";position:absolute;top:2px;left:2px;width:16px;height:16px;border-radius:50%;background:#1a1a1a;transition:left .15s}
input:checked{background:#1a1a1a}
input:checked::before{left:22px;background:#fff}
input:disabled{cursor:not-allowed;border-color:#595959;background:#595959}
table{border-collapse:collapse;width:100%;font-size:.9em;margin-top:6px}
th,td{text-align:left;vertical-align:top;padding:4px 6px;border-bottom:1px solid #ccc;overflow-wrap:anywhere}
summary{cursor:pointer;margin-top:6px}
ul{margin:4px 0;padding-left:20px}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0}
dt{font-weight:700}
dd{margin:0;overflow-wrap:anywhere}
.f{position:fixed;z-index:2147483645;left:12px;bottom:12px;min-height:36px;padding:4px 14px;border-radius:18px;font-size:13px;border-color:#fff}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;
