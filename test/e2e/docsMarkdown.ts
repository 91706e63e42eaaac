import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/*
 * What the docs test reads in README.md and docs/*.md: fenced blocks, links and
 * headings. A fenced block whose language is a runnable one (bash, sh, ts,
 * python…) is an example: it must be byte for byte a file under examples/, which
 * the test runs. `norun` after the language marks one that cannot run here
 * (the doc says why); any other language (console, text, json…) is not code.
 */

/** Fence languages whose blocks are examples, by the runner they need. */
export const EXAMPLE_LANGUAGES: Record<string, 'bash' | 'ts' | 'python'> = {
  bash: 'bash',
  sh: 'bash',
  shell: 'bash',
  ts: 'ts',
  typescript: 'ts',
  python: 'python',
  py: 'python',
};

export interface FencedBlock {
  /** The markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  language: string;
  /** The words after the language (`norun`). */
  flags: string[];
  /** The block's lines without the fence's indentation, each ending in a newline. */
  text: string;
}

/** The documentation the scheme covers: README.md and every docs/*.md. */
export async function documentationFiles(repo: string): Promise<string[]> {
  const docs = (await readdir(path.join(repo, 'docs'))).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`)];
}

const FENCE = /^( *)(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;

/** A closing fence: only fence characters of the opening's kind, at least as many. */
const closesFence = (line: string, fence: string): boolean => {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === (fence[0] ?? '`').repeat(trimmed.length);
};

/** Every fenced block of a markdown text, with its language and flags. */
export function fencedBlocks(file: string, markdown: string): FencedBlock[] {
  const lines = markdown.split('\n');
  const blocks: FencedBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index] ?? '');
    if (!open) continue;
    const [, indent = '', fence = '```', language = '', rest = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const line = lines[end] ?? '';
      if (closesFence(line, fence)) break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({
      file,
      line: index + 1,
      language: language.toLowerCase(),
      flags: rest.split(/\s+/).filter(Boolean),
      text: body.map((line) => `${line}\n`).join(''),
    });
    index = end;
  }
  return blocks;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2… */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  const headings: string[] = [];
  let inFence: string | undefined;
  for (const line of markdown.split('\n')) {
    if (inFence !== undefined) {
      if (closesFence(line, inFence)) inFence = undefined;
      continue;
    }
    inFence = FENCE.exec(line)?.[2];
    const heading = inFence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1] : undefined;
    if (heading !== undefined) headings.push(heading);
  }
  for (const heading of headings) {
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const seen = counts.get(slug) ?? 0;
    counts.set(slug, seen + 1);
    anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
  }
  return anchors;
}

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** Every markdown link and image outside code: `[text](target)` and `![alt](target)`. */
export function markdownLinks(file: string, markdown: string): Link[] {
  const links: Link[] = [];
  let inFence: string | undefined;
  markdown.split('\n').forEach((line, index) => {
    if (inFence !== undefined) {
      if (closesFence(line, inFence)) inFence = undefined;
      return;
    }
    const opening = FENCE.exec(line)?.[2];
    if (opening) {
      inFence = opening;
      return;
    }
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      links.push({ file, line: index + 1, target: match[1] ?? '' });
    }
  });
  return links;
}

/** Why an intra-repository link does not resolve, or undefined when it does (external links are not checked). */
export async function brokenLink(repo: string, link: Link): Promise<string | undefined> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [target = '', anchor] = link.target.split('#');
  const resolved = target === '' ? path.join(repo, link.file) : path.join(repo, path.dirname(link.file), target);
  if (!resolved.startsWith(repo)) return `${link.target} leaves the repository`;
  let content: string;
  try {
    content = await readFile(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' && anchor === undefined) return undefined;
    return `${link.target}: ${path.relative(repo, resolved)} does not exist`;
  }
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  return headingAnchors(content).has(decodeURIComponent(anchor))
    ? undefined
    : `${link.target}: no heading #${anchor} in ${path.relative(repo, resolved)}`;
}

/** Every example under examples/ (not the frames, not tsconfig.json), relative to the repository, sorted. */
export async function exampleFiles(repo: string): Promise<string[]> {
  const entries = await readdir(path.join(repo, 'examples'), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(sh|ts|py)$/.test(entry.name))
    .map((entry) => path.relative(repo, path.join(entry.parentPath, entry.name)))
    .sort();
}
