/*
 * Where the page's script sits in the Lambda asset, and the bundling hook that
 * puts it there. Kept apart from the builder so that the CDK app can name the
 * hook without loading esbuild.
 */

/** The script's file name beside the handler's bundle (`index.mjs`). */
export const PAGE_SCRIPT_FILE = 'playground.js';

/** The builder, run as a command by the hook (see pageBuild.ts). */
const BUILDER = 'lambdas/playground/pageBuild.ts';

/**
 * NodejsFunction `commandHooks` (structurally CDK's `ICommandHooks`) for the
 * playground's function: after esbuild bundled the handler, build the page's
 * script into the same directory. Commands run in the project root.
 */
export const playgroundCommandHooks = {
  beforeBundling: (): string[] => [],
  beforeInstall: (): string[] => [],
  afterBundling: (inputDir: string, outputDir: string): string[] => [
    `node --import tsx "${inputDir}/${BUILDER}" "${outputDir}/${PAGE_SCRIPT_FILE}"`,
  ],
};
