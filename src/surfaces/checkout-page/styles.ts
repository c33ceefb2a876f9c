/**
 * The checkout page's CSS: mobile first (one column, 44 px touch targets), widening at 40rem; system
 * fonts only (no font requests); a visible focus ring on everything focusable; reduced motion honoured.
 */
export const pageCss = `
:root{color-scheme:light dark;--fg:#1a1a1a;--muted:#5c5c5c;--bg:#fff;--card:#f6f6f7;--line:#d6d6da;--accent:#3b3bd6;--on-accent:#fff;--err:#b3261e;--ok:#1e6b34}
@media (prefers-color-scheme:dark){:root{--fg:#f1f1f3;--muted:#b4b4bb;--bg:#141416;--card:#1e1e22;--line:#3a3a42;--accent:#9d9dff;--on-accent:#141416;--err:#ffb4ab;--ok:#8bd6a0}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:32rem;margin:0 auto;padding:1rem 1rem 2rem;position:relative}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 2.75rem .5rem 0}
h2{font-size:1.2rem;margin:0 0 .5rem}
.eyebrow{margin:0;color:var(--muted);font-size:.9rem;text-transform:uppercase;letter-spacing:.04em}
.desc{color:var(--muted);margin:0 0 1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem;margin:0 0 1rem}
dl{margin:0}
dl div{display:flex;justify-content:space-between;gap:1rem;padding:.15rem 0}
dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums}
.total{display:flex;justify-content:space-between;border-top:1px solid var(--line);margin:.5rem 0 0;padding-top:.5rem;font-size:1.15rem}
.note{color:var(--muted);font-size:.85rem;margin:.25rem 0 0}
#stock{font-weight:600;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input{width:100%;min-height:2.75rem;padding:.5rem .75rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:.5rem}
.row{display:grid;grid-template-columns:1fr 1fr;gap:.75rem}
button,.button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;padding:.5rem 1.25rem;font:inherit;font-weight:600;border-radius:.5rem;border:1px solid var(--accent);background:var(--accent);color:var(--on-accent);cursor:pointer;text-decoration:none}
form button[type=submit],.button{width:100%;margin-top:1rem}
button.secondary{background:transparent;color:var(--accent)}
button:disabled{opacity:.6;cursor:progress}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
#close{position:absolute;top:.75rem;right:.75rem;width:2.75rem;padding:0;background:transparent;color:var(--fg);border-color:var(--line);font-size:1.4rem;line-height:1}
#hold-countdown{font-variant-numeric:tabular-nums;margin:0 0 .5rem;color:var(--muted)}
#error{color:var(--err);font-weight:600;margin:1rem 0 0}
#error:empty{margin:0}
.hint{color:var(--muted);font-size:.85rem;margin:.5rem 0 0}
#success h2{color:var(--ok)}
code{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
#entitlement-token{display:block;background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.5rem;max-height:8rem;overflow:auto}
dialog{border:1px solid var(--line);border-radius:.75rem;background:var(--bg);color:var(--fg);padding:1.25rem;max-width:24rem;width:calc(100% - 2rem)}
dialog::backdrop{background:rgb(0 0 0/.5)}
dialog .actions{display:flex;gap:.75rem;margin-top:1rem}
dialog .actions button{flex:1}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
[hidden]{display:none!important}
@media (min-width:40rem){main{padding-top:2rem}h1{font-size:1.85rem}}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`
  .replace(/\n/g, "")
  .trim();
