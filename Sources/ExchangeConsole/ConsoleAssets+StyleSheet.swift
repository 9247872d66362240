extension ConsoleAssets {
    /// The style sheet: system fonts with CJK fallbacks, contrast of at least 4.5:1, visible
    /// focus, one column below 720 px.
    static let styleSheet = #"""
:root { --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8ccd2; --paper: #ffffff; --band: #0b3d6e; --accent: #0b57a4;
  --ok: #1b5e20; --bad: #b00020; --soft: #f2f4f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif;
  color: var(--ink); background: var(--paper); }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 8px; z-index: 10; }
header.top { background: var(--band); color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; }
header.top a, header.top .who { color: #fff; }
header.top .brand { font-weight: 700; font-size: 1.1rem; margin-right: auto; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header.top form { display: inline; margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; border-radius: 4px; padding: 2px 10px; cursor: pointer; font: inherit; }
main { padding: 16px; max-width: 1280px; margin: 0 auto; }
h1 { font-size: 1.5rem; margin: 8px 0 16px; }
h2 { font-size: 1.2rem; margin: 24px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px; background: var(--soft); }
.card .label { color: var(--muted); font-size: .9rem; }
.card .value { font-size: 1.6rem; font-weight: 700; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 8px; white-space: pre-wrap; overflow-wrap: anywhere; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-end; margin-bottom: 12px; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
input, select { font: inherit; padding: 6px 8px; border: 1px solid #767676; border-radius: 4px; color: var(--ink); background: #fff; }
button.primary, button.secondary { font: inherit; padding: 6px 14px; border-radius: 4px; cursor: pointer; }
button.primary { background: var(--accent); color: #fff; border: 1px solid var(--accent); }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
form.stack { display: flex; flex-direction: column; gap: 12px; max-width: 480px; }
.notice { border-left: 4px solid var(--accent); background: var(--soft); padding: 8px 12px; }
.error { border-left: 4px solid var(--bad); background: #fdecee; padding: 8px 12px; }
.outcome-ok { color: var(--ok); font-weight: 700; }
.outcome-failed, .outcome-unsupported { color: var(--bad); font-weight: 700; }
.pager { display: flex; gap: 16px; margin: 12px 0; }
.graph svg { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
.spark svg { width: 100%; max-width: 480px; height: 80px; border: 1px solid var(--line); background: #fff; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: .85rem; padding: 16px; text-align: center; }
@media (max-width: 720px) {
  main { padding: 8px; }
  .card .value { font-size: 1.3rem; }
  dl.facts { grid-template-columns: 1fr; }
  th, td { padding: 4px; font-size: .9rem; }
}
"""#
}
