import { httpHandler } from '../adapters/http';
import { parseEnv } from '../core/config';
import { loadPageScript } from './pageScript';
import { type PlaygroundPage, playgroundPage } from './playgroundPage';
import { storageEnvSchema, storageOrigins } from './storageOrigins';

const env = parseEnv(storageEnvSchema);

/** The same page for every request: built once per cold start. */
let page: Promise<PlaygroundPage> | undefined;
const thePage = () => {
  if (!page) {
    page = loadPageScript().then((script) => playgroundPage({ script, storageOrigins: storageOrigins(env) }));
    // A failure is not kept: the next request tries again.
    page.catch(() => {
      page = undefined;
    });
  }
  return page;
};

/** GET / — public: the page asks for the API key itself and sends it with each call. */
export const handler = httpHandler(async () => {
  const { html, headers } = await thePage();
  return { statusCode: 200, headers: { ...headers }, body: html };
});
