/**
 * The dashboard's CSS: system fonts only, light and dark, a grid of KPI cards that folds to one column
 * on a phone, tables that scroll sideways rather than squeeze, a visible focus ring on everything.
 */
export const dashboardCss = `
:root{color-scheme:light dark;--fg:#1a1a1a;--muted:#5c5c5c;--bg:#fafafb;--card:#fff;--line:#d6d6da;--accent:#3b3bd6;--on-accent:#fff;--err:#b3261e;--ok:#1e6b34}
@media (prefers-color-scheme:dark){:root{--fg:#f1f1f3;--muted:#b4b4bb;--bg:#141416;--card:#1e1e22;--line:#3a3a42;--accent:#9d9dff;--on-accent:#141416;--err:#ffb4ab;--ok:#8bd6a0}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.75rem 1.5rem;align-items:center;justify-content:space-between;padding:1rem 1.25rem;border-bottom:1px solid var(--line);background:var(--card)}
header h1{font-size:1.25rem;margin:0}
main{max-width:78rem;margin:0 auto;padding:1rem 1.25rem 3rem}
h2{font-size:1.15rem;margin:1.75rem 0 .75rem}
h3{font-size:1rem;margin:0 0 .35rem}
.muted,.definition{color:var(--muted);font-size:.85rem;margin:0 0 .5rem}
.definition summary{cursor:pointer}
.definition p{margin:.35rem 0 0}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem;min-width:0}
.card.unavailable{border-style:dashed}
.card.failed{border-color:var(--err)}
.tiles{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;margin:0 0 .75rem}
.tile dt{color:var(--muted);font-size:.8rem}
.tile dd{margin:0;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
figure{margin:.5rem 0}
figcaption{font-size:.8rem;color:var(--muted)}
.chart{min-height:160px;width:100%;overflow:hidden}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-weight:600;color:var(--muted)}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 .75rem}
label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.2rem}
input,select,button,.button{font:inherit;min-height:2.5rem;padding:.35rem .6rem;border:1px solid var(--line);border-radius:.4rem;background:var(--bg);color:var(--fg)}
button,.button{background:var(--accent);color:var(--on-accent);border-color:var(--accent);cursor:pointer;text-decoration:none;display:inline-flex;align-items:center}
button.secondary{background:transparent;color:var(--fg);border-color:var(--line)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.funnel{display:flex;flex-wrap:wrap;gap:.25rem;list-style:none;margin:.5rem 0 0;padding:0}
.funnel li{background:var(--bg);border:1px solid var(--line);border-radius:.4rem;padding:.3rem .6rem}
.funnel li+li::before{content:"→ ";color:var(--muted)}
.funnel-more{margin:.5rem 0 0}
.funnel-more dd{font-size:1rem}
.stock{display:flex;gap:1.25rem;margin:.25rem 0}
.stock dd{font-size:1.6rem}
.error{color:var(--err)}
.signin{max-width:28rem;margin:3rem auto;padding:0 1rem}
.signin form{display:flex;flex-direction:column;gap:.75rem}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}
`;
