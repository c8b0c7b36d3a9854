// Entry point. Starts downloading the pretrained model before anything else, so the download runs
// alongside the page's modules and the WebAssembly core instead of after them; then runs page.js.
// The body is read at once too: left unread, it only streams in when page.js asks for it.
const pretrained = fetch(new URL('./models/digits.wcnn', import.meta.url))
  .then(async (r) => (r.ok ? { ok: true, bytes: new Uint8Array(await r.arrayBuffer()) } : r))
  .catch((e) => ({ ok: false, status: 0, statusText: e.message }));

const { start } = await import('./page.js');
await start({ pretrained });
