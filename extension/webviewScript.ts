// How our webviews load their script. A webview's resources come through VS Code's webview
// service worker, and a load that fails (a worker not yet in control after the view was
// re-created on being shown again) would leave the panel as bare, lifeless markup for good.
// So the page loads the script itself, trying again a few times when the load fails. The
// loader is inline, authorised by the same per-load nonce as the script, and may stand in the
// head (the comparison page) or at the end of the body (the Trace panel): it appends to the
// head, which exists in both places (the body does not yet while the head is parsed).

const ATTEMPTS = 5;

/** The <script> element that loads `scriptUri` into a webview page whose CSP allows `nonce`. */
export function webviewScript(scriptUri: string, nonce: string): string {
  // JSON is a JavaScript literal; '<' escaped so that no URI can close the element.
  const src = JSON.stringify(scriptUri).replace(/</g, '\\u003c');
  return `<script nonce="${nonce}">
    (function load(attempt) {
      var s = document.createElement('script');
      s.nonce = ${JSON.stringify(nonce)};
      s.src = ${src};
      s.onerror = function () {
        s.remove();
        if (attempt + 1 < ${ATTEMPTS}) setTimeout(function () { load(attempt + 1); }, 250 * (attempt + 1));
        else console.error('The webview script did not load: ' + ${src});
      };
      document.head.appendChild(s);
    })(0);
  </script>`;
}
