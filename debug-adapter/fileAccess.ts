// File access the adapter needs (launch paths, C headers for hypercall names), injected so
// the session also runs where there is no Node `fs` (VS Code for the Web supplies its own).

export interface FileAccess {
  kind(path: string): Promise<'file' | 'directory' | 'missing'>;
  readFile(path: string): Promise<Uint8Array>;
  /** `path` if absolute, else `path` relative to `base`. */
  resolve(base: string, path: string): string;
  cwd(): string;
}
