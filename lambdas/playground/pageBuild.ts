import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/*
 * Builds the playground page's script: the browser code and the TypeScript
 * client it uses, bundled and minified by esbuild. One function for both
 * places the page is served from, so they serve the same bytes: the CDK
 * bundling hook runs this module as a command and writes the script beside the
 * handler's bundle; the local stack, which runs handlers from source, calls
 * `buildPageScript` when the page is first asked for. Build time only: esbuild
 * is a development dependency and never part of a Lambda bundle.
 */

const ENTRY = fileURLToPath(new URL('./browser/main.ts', import.meta.url));

export async function buildPageScript(): Promise<string> {
  const { outputFiles } = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last two years or so: fetch streaming, top-level await, ES2022 classes.
    target: ['chrome115', 'firefox115', 'safari16.4'],
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const script = outputFiles[0]?.text;
  if (!script) throw new Error(`esbuild wrote no script for ${ENTRY}`);
  return script;
}

// Run as a command (the bundling hook): write the script to the path given.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outFile = process.argv[2];
  if (!outFile) throw new Error('usage: node --import tsx lambdas/playground/pageBuild.ts <output file>');
  await writeFile(outFile, await buildPageScript());
}
