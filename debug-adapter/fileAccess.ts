// File access the adapter needs (launch paths, C headers for hypercall names), injected so
// the session also runs where there is no Node `fs` (VS Code for the Web supplies its own).

export interface FileAccess {
  kind(path: string): Promise<'file' | 'directory' | 'missing'>;
  readFile(path: string): Promise<Uint8Array>;
  /** `path` if absolute, else `path` relative to `base`. */
  resolve(base: string, path: string): string;
  cwd(): string;
  /**
   * Where the client takes URIs, not paths (a browser workbench): the URI of the file at
   * `path`, and back the path of a URI of this file system (undefined for any other name).
   */
  uriOf?(path: string): string;
  pathOf?(uri: string): string | undefined;
}
