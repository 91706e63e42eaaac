/** The page's stylesheet, inline (the page is one document); its hash is in the CSP. */
export const PAGE_STYLE = `
:root { color-scheme: light dark; --accent: #0b5fff; --line: #8888; --bad: light-dark(#b01c2a, #ff8a94); font: 16px/1.5 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem 1.25rem 3rem; }
h1 { margin-bottom: 0; }
section, form#job-form { border-top: 1px solid var(--line); margin-top: 1.5rem; padding-top: .5rem; }
label, legend { font-weight: 600; }
input, select, textarea, button { font: inherit; }
textarea { width: 100%; box-sizing: border-box; }
button { padding: .4rem .9rem; border-radius: .4rem; border: 1px solid var(--accent); cursor: pointer; }
button[type=submit], #submit { background: var(--accent); color: #fff; }
button:disabled { opacity: .6; cursor: progress; }
:focus-visible, .drop:focus-within { outline: 3px solid var(--accent); outline-offset: 2px; }
.row { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: end; margin: 1rem 0; }
.row > div { display: flex; flex-direction: column; }
fieldset { border: 0; padding: 0; margin: 0; }
.frames { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.drop { display: flex; flex-direction: column; gap: .25rem; min-height: 9rem; padding: 1rem; border: 2px dashed var(--line); border-radius: .6rem; cursor: pointer; }
.drop.over { border-color: var(--accent); background: #0b5fff18; }
.drop { font-weight: 400; } .drop .title { font-weight: 600; }
.drop img { max-width: 100%; max-height: 10rem; object-fit: contain; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
progress { width: 100%; }
#job-error { color: var(--bad); }
video { display: block; width: 100%; max-height: 70vh; background: #000; margin: 1rem 0 .5rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
td.id { font-family: ui-monospace, monospace; font-size: .85em; word-break: break-all; }
[data-status=FAILED] { color: var(--bad); }
[hidden] { display: none !important; }
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
