// Which rows a virtualized list puts in the DOM for a scroll position: only the visible ones.
// Browsers cap an element's height (Chromium near 33.5 million px), so past `maxSpacerPx`
// the scroll range is scaled: the scrollbar maps linearly onto the rows instead of pixels.

export interface VirtualWindow {
  /** First row to render. */
  first: number;
  /** Rows to render from `first`. */
  count: number;
  /** Where the first rendered row's top goes, in px from the scroll content's top. */
  offsetPx: number;
  /** Height of the scroll content. */
  spacerPx: number;
}

export const MAX_SPACER_PX = 8_000_000;

export function virtualWindow(rows: number, rowPx: number, viewportPx: number, scrollTop: number, maxSpacerPx = MAX_SPACER_PX): VirtualWindow {
  const visible = Math.ceil(viewportPx / rowPx) + 1;
  const natural = rows * rowPx;
  if (natural <= maxSpacerPx) {
    const first = Math.min(Math.max(0, Math.floor(scrollTop / rowPx)), Math.max(0, rows - 1));
    return { first, count: Math.max(0, Math.min(visible, rows - first)), offsetPx: first * rowPx, spacerPx: natural };
  }
  const scrollRange = maxSpacerPx - viewportPx;
  const rowRange = rows - Math.floor(viewportPx / rowPx);
  const position = (Math.min(Math.max(0, scrollTop), scrollRange) / scrollRange) * rowRange;
  const first = Math.floor(position);
  return {
    first,
    count: Math.min(visible, rows - first),
    offsetPx: Math.min(Math.max(0, scrollTop), scrollRange) - (position - first) * rowPx,
    spacerPx: maxSpacerPx,
  };
}

/** The scrollTop that shows `row` at the top of the viewport (the inverse of virtualWindow). */
export function scrollTopForRow(row: number, rows: number, rowPx: number, viewportPx: number, maxSpacerPx = MAX_SPACER_PX): number {
  const natural = rows * rowPx;
  if (natural <= maxSpacerPx) return row * rowPx;
  const scrollRange = maxSpacerPx - viewportPx;
  const rowRange = rows - Math.floor(viewportPx / rowPx);
  return (Math.min(row, rowRange) / rowRange) * scrollRange;
}
