// Source paths between the DWARF of one ELF and the client. DWARF records where the program
// was built (the shipped sample's ELFs, built with -ffile-prefix-map, record paths relative
// to the sample folder). ELFs move (the extension ships the sample's, "Open Sample" copies
// it, users copy builds between machines) and the folder they were built in may still
// exist beside the one the user opened, so each recorded path maps, in this order, to the
// file with the longest matching trailing part under the launch's folder (the workspace the
// user opened wins), the recorded file itself, or the longest match under the ELF's folder
// and its ancestors.

import type { FileAccess } from './fileAccess';

/** How many folders above the ELF's own are searched (build/ sits one below the project). */
const ANCESTOR_LEVELS = 3;

const parts = (path: string): string[] => path.split(/[\\/]/).filter((p) => p !== '');

/** `path` with forward slashes and no "." segments ("./host/x86.c" is "host/x86.c"). */
function normalize(path: string): string {
  const rest = parts(path).filter((p) => p !== '.').join('/');
  return /^[\\/]/.test(path) ? `/${rest}` : rest;
}

/** Same file if equal, or if one is a relative path that ends the other at a folder boundary. */
export function sameSourceFile(a: string, b: string): boolean {
  const x = normalize(a);
  const y = normalize(b);
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return !short.startsWith('/') && long.endsWith(`/${short}`);
}

/** Folders a moved source is looked for in after the launch folder: the ELF's and a few of its ancestors. */
export function elfRoots(elfPath: string): string[] {
  const roots: string[] = [];
  let dir = elfPath.replace(/[\\/][^\\/]*$/, '');
  for (let level = 0; level <= ANCESTOR_LEVELS && dir !== ''; level++) {
    roots.push(dir);
    const up = dir.replace(/[\\/][^\\/]*$/, '');
    if (up === dir) break;
    dir = up;
  }
  return roots;
}

/** One ELF's answers, computed once when it is loaded (lookups during a stop must be synchronous). */
export class SourcePaths {
  private readonly toDwarfPath = new Map<string, string>();

  constructor(private readonly toClientPath: ReadonlyMap<string, string>) {
    for (const [dwarf, client] of toClientPath) this.toDwarfPath.set(client, dwarf);
  }

  /** The existing file a DWARF path stands for (the path itself when nothing better was found). */
  toClient(dwarfPath: string): string { return this.toClientPath.get(dwarfPath) ?? dwarfPath; }

  /** The DWARF path for a client's path: exact, or by relative-path matching; unknown paths pass through. */
  toDwarf(clientPath: string): string {
    const exact = this.toDwarfPath.get(clientPath);
    if (exact) return exact;
    for (const [client, dwarf] of this.toDwarfPath) if (sameSourceFile(client, clientPath)) return dwarf;
    return clientPath;
  }
}

/** The existing file with the longest trailing part of `segments` (at least `least` of them) under one of `roots`. */
async function longestUnder(segments: string[], roots: string[], least: number, fs: FileAccess): Promise<string | undefined> {
  for (let start = 0; start <= segments.length - least; start++) {
    for (const root of roots) {
      const candidate = fs.resolve(root, segments.slice(start).join('/'));
      if (await fs.kind(candidate) === 'file') return candidate;
    }
  }
  return undefined;
}

/**
 * Maps every DWARF source path onto an existing file (see the top of this file). A recorded
 * file that exists gives way only to a launch-folder file that shares its folder name too:
 * a file name alone (a system header named like one of the workspace's) is too little.
 */
export async function resolveSourcePaths(dwarfPaths: string[], launchFolder: string, elfPath: string, fs: FileAccess): Promise<SourcePaths> {
  const mapped = new Map<string, string>();
  for (const dwarf of new Set(dwarfPaths)) {
    const segments = parts(dwarf).filter((p) => p !== '.' && p !== '..');
    const recorded = dwarf.startsWith('/') && await fs.kind(dwarf) === 'file';
    let found = await longestUnder(segments, [launchFolder], recorded ? 2 : 1, fs);
    if (!found && !recorded) found = await longestUnder(segments, elfRoots(elfPath), 1, fs);
    if (found && found !== dwarf) mapped.set(dwarf, found);
  }
  return new SourcePaths(mapped);
}
