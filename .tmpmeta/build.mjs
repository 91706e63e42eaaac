import { build } from 'esbuild';
const r = await build({ entryPoints: [process.argv[2]], bundle: true, platform: 'node', format: 'esm', target: 'node24', minify: true, write: false, metafile: true, mainFields: ['module','main'], alias: {'@aws-sdk/credential-provider-node': '/work/main/lambdas/adapters/lambdaCredentials.ts'}, absWorkingDir: '/work/main', banner: {js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);"} });
const out = Object.values(r.metafile.outputs)[0];
console.log('total', out.bytes);
const byPkg = {};
for (const [file, v] of Object.entries(out.inputs)) { const m = file.match(/node_modules\/((@[^/]+\/)?[^/]+)/); const k = m ? m[1] : file; byPkg[k] = (byPkg[k]||0) + v.bytesInOutput; }
for (const [k,v] of Object.entries(byPkg).sort((a,b)=>b[1]-a[1]).slice(0,25)) console.log(String(v).padStart(8), k);
if (process.argv[3]) { const top = Object.entries(out.inputs).sort((a,b)=>b[1].bytesInOutput-a[1].bytesInOutput).slice(0,25); for (const [f,v] of top) console.log(String(v.bytesInOutput).padStart(8), f); }
