// Node's `url` module for the web bundle: @vscode/debugadapter only needs the WHATWG URL,
// which browsers and workers have natively.
export const URL = globalThis.URL;
