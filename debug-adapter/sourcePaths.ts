// Source paths between the DWARF of one ELF and the client. DWARF records where the program
// was built; ELFs move (the extension ships the sample's, "Open Sample" copies it, users copy
// builds between machines), so a recorded path that no longer exists maps to the file with
// the longest matching trailing part under the ELF's folder, its ancestors or the launch cwd.

import type { FileAccess } from './fileAccess';

/** How many folders above the ELF's own are searched (build/ sits one below the project). */
const ANCESTOR_LEVELS = 3;

const parts = (path: string): string[] => path.split(/[\\/]/).filter((p) => p !== '');

/** Same file if equal, or if one is a relative path that ends the other at a folder boundary. */
export function sameSourceFile(a: string, b: string): boolean {
  const x = a.replace(/\\/g, '/');
  const y = b.replace(/\\/g, '/');
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return !short.startsWith('/') && long.endsWith(`/${short}`);
}

/** Folders a moved source is looked for in: the ELF's, a few of its ancestors, then cwd. */
export function searchRoots(elfPath: string, cwd: string): string[] {
  const roots: string[] = [];
  let dir = elfPath.replace(/[\\/][^\\/]*$/, '');
  for (let level = 0; level <= ANCESTOR_LEVELS && dir !== ''; level++) {
    roots.push(dir);
    const up = dir.replace(/[\\/][^\\/]*$/, '');
    if (up === dir) break;
    dir = up;
  }
  if (!roots.includes(cwd)) roots.push(cwd);
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

/** Maps every DWARF source path that does not exist to the longest trailing part that does under `roots`. */
export async function resolveSourcePaths(dwarfPaths: string[], roots: string[], fs: FileAccess): Promise<SourcePaths> {
  const mapped = new Map<string, string>();
  for (const dwarf of new Set(dwarfPaths)) {
    if (await fs.kind(dwarf) === 'file') continue;
    const segments = parts(dwarf);
    search: for (let start = 0; start < segments.length; start++) {
      const trailing = segments.slice(start).join('/');
      for (const root of roots) {
        const candidate = fs.resolve(root, trailing);
        if (await fs.kind(candidate) === 'file') {
          mapped.set(dwarf, candidate);
          break search;
        }
      }
    }
  }
  return new SourcePaths(mapped);
}
