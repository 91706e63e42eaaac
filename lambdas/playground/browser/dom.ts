/*
 * The browser globals the page's script uses, typed here: the project is one
 * TypeScript program whose library is Node's, and adding the DOM library
 * would retype `fetch` and friends for every other module. Only what the page
 * touches is declared.
 */

export interface PageEvent {
  preventDefault(): void;
  readonly dataTransfer?: { readonly files: ArrayLike<File> } | null;
}

/** An element of the page, with the members of its kinds (inputs, media, links, progress) the script uses. */
export interface PageElement {
  id: string;
  textContent: string | null;
  hidden: boolean;
  disabled: boolean;
  value: string | number;
  max: number;
  src: string;
  href: string;
  download: string;
  checked: boolean;
  files: ArrayLike<File> | null;
  readonly classList: { add(name: string): void; remove(name: string): void };
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  append(...children: (PageElement | string)[]): void;
  replaceChildren(...children: PageElement[]): void;
  addEventListener(type: string, listener: (event: PageEvent) => void): void;
  querySelector(selector: string): PageElement | null;
  setCustomValidity(message: string): void;
  focus(): void;
}

interface BrowserGlobals {
  document: { getElementById(id: string): PageElement | null; createElement(tag: string): PageElement };
  location: { origin: string; pathname: string };
  sessionStorage: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
}

export const { document, location, sessionStorage } = globalThis as unknown as BrowserGlobals;

/** An element the page's HTML is known to hold; a missing one is a bug in the page, so fail loudly. */
export function byId(id: string): PageElement {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element;
}

/**
 * A new element with text content only: the page never assigns HTML strings,
 * which lets its CSP require Trusted Types.
 */
export function el(tag: string, text?: string, attributes: Record<string, string> = {}): PageElement {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

/** What an API error says, for people: its message, its code and each field it names. */
export function describeError(error: unknown): { message: string; details: string[] } {
  if (!(error instanceof Error)) return { message: String(error), details: [] };
  const { code, details } = error as Error & { code?: unknown; details?: unknown };
  const fields = Array.isArray(details)
    ? details.map((d: { field?: unknown; rule?: unknown }) => `${String(d.field)}: ${String(d.rule)}`)
    : [];
  return { message: typeof code === 'string' ? `${error.message} (${code})` : error.message, details: fields };
}
