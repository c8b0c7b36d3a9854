// Entry point. Starts downloading the pretrained model before anything else, so the download runs
// alongside the page's modules and the WebAssembly core instead of after them; then runs page.js.
const pretrained = fetch(new URL('./models/digits.wcnn', import.meta.url))
  .catch((e) => ({ ok: false, status: 0, statusText: e.message }));

const { start } = await import('./page.js');
await start({ pretrained });
