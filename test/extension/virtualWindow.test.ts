// The Trace panel's virtualized list: only visible rows are rendered, at any list length.
import { MAX_SPACER_PX, scrollTopForRow, virtualWindow } from '../../extension/webview/virtualWindow';

describe('virtualWindow', () => {
  it('renders only the rows that fit the viewport (plus one), at their pixel offset', () => {
    expect(virtualWindow(1000, 20, 200, 0)).toEqual({ first: 0, count: 11, offsetPx: 0, spacerPx: 20_000 });
    expect(virtualWindow(1000, 20, 200, 410)).toEqual({ first: 20, count: 11, offsetPx: 400, spacerPx: 20_000 });
  });

  it('stops at the last row', () => {
    expect(virtualWindow(25, 20, 200, 300)).toMatchObject({ first: 15, count: 10 });
    expect(virtualWindow(0, 20, 200, 0)).toMatchObject({ first: 0, count: 0, spacerPx: 0 });
  });

  it('scales the scroll range for a million rows so the content stays under the browser limit', () => {
    const rows = 1_000_000;
    const top = virtualWindow(rows, 18, 540, 0);
    expect(top).toMatchObject({ first: 0, spacerPx: MAX_SPACER_PX });
    const bottom = virtualWindow(rows, 18, 540, MAX_SPACER_PX - 540);
    expect(bottom.first + bottom.count).toBeGreaterThanOrEqual(rows);
    expect(bottom.count).toBeLessThanOrEqual(32);
    const middle = virtualWindow(rows, 18, 540, (MAX_SPACER_PX - 540) / 2);
    expect(middle.first).toBeGreaterThan(rows / 2 - 100);
    expect(middle.first).toBeLessThan(rows / 2 + 100);
  });

  it('scrollTopForRow brings the row into the window', () => {
    for (const rows of [500, 1_000_000]) {
      for (const row of [0, 123, rows - 40]) {
        const win = virtualWindow(rows, 18, 540, scrollTopForRow(row, rows, 18, 540));
        expect(row).toBeGreaterThanOrEqual(win.first);
        expect(row).toBeLessThan(win.first + win.count);
      }
    }
  });
});
