import { readFile } from 'node:fs/promises';
import { PAGE_SCRIPT_FILE } from './pageBundling';

/**
 * The page's script. In Lambda it was built at deploy time and sits beside the
 * handler's bundle. Run from source (the local stack, tests), it is built now,
 * by the same function the deploy-time hook runs, so both serve the same bytes.
 */
export async function loadPageScript(): Promise<string> {
  if (import.meta.url.endsWith('.ts')) {
    // A computed specifier: esbuild leaves it alone, so the builder (and esbuild) stay out of the Lambda bundle.
    const builder = new URL('./pageBuild.ts', import.meta.url).href;
    const { buildPageScript } = (await import(builder)) as typeof import('./pageBuild');
    return buildPageScript();
  }
  return readFile(new URL(`./${PAGE_SCRIPT_FILE}`, import.meta.url), 'utf8');
}
