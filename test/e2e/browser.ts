import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's `chromium` package: `.ci/run` installs it when missing; never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Headless Debian Chromium. A machine without it fails the browser tests with
 * the way to get it, never skips them: `.ci/run` installs it when missing.
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium (sudo apt-get install -y chromium) to run the browser tests`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
}

/** The roles of controls a person operates: each must have an accessible name. */
const CONTROL_ROLES = new Set(['button', 'textbox', 'combobox', 'spinbutton', 'checkbox', 'radio', 'slider', 'link']);

interface AxNode {
  ignored: boolean;
  role?: { value?: string };
  name?: { value?: string };
  properties?: { name: string; value: { value?: unknown } }[];
}

/**
 * The controls Chromium's accessibility tree exposes without a name, as
 * `role#index`: what a screen reader would announce as just "button" or "edit".
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const session = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await session.send('Accessibility.getFullAXTree')) as { nodes: AxNode[] };
    const controls = nodes.filter((node) => !node.ignored && CONTROL_ROLES.has(String(node.role?.value)));
    if (controls.length === 0) throw new Error('The accessibility tree holds no controls at all');
    return controls
      .map((node, index) => ({ role: String(node.role?.value), name: String(node.name?.value ?? '').trim(), index }))
      .filter((control) => control.name === '')
      .map((control) => `${control.role}#${control.index}`);
  } finally {
    await session.detach();
  }
}

/** The ids (else tag names) of the elements Tab moves the focus to, in order, from the top of the page. */
export async function tabOrder(page: Page, presses: number): Promise<string[]> {
  // A click on the heading moves the starting point of Tab there, as a person's would.
  await page.locator('h1').click();
  const ids: string[] = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    ids.push(String(await page.evaluate('document.activeElement.id || document.activeElement.tagName')));
  }
  return ids;
}
