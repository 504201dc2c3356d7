// What the "Real KVM vs model" page's script says to the extension: that the page loaded.

export const PAGE_LOADED = 'loaded';
export interface CompareViewMessage { type: typeof PAGE_LOADED }
