// A media player's seek in Debian's headless Chromium through Playwright (playwright-core): an <audio> element reads a
// file from its URL, and once it knows the duration the page seeks near the end — the browser asks for that byte range
// on a connection of its own. Prints one JSON document: the duration, the position reached and how long the seek took;
// exits non-zero when the metadata or the seek does not arrive within the timeout.
// Usage: node media-seek-check.js <media URL> <seconds from the end to seek to> <timeout ms>
'use strict';
const { launchChromium } = require('./chromium');

const [url, fromEnd, timeout] = process.argv.slice(2);

(async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html><body><audio id="player" preload="auto"></audio></body></html>');
    const result = await page.evaluate(async ({ url, fromEnd, timeout }) => {
      const player = document.getElementById('player');
      const once = (name) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeout} ms (readyState ${player.readyState}, error ${player.error && player.error.message})`)), timeout);
        player.addEventListener(name, () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      const metadata = once('loadedmetadata');
      player.src = url;
      await metadata;
      const seeked = once('seeked');
      const started = performance.now();
      player.currentTime = player.duration - fromEnd;
      await seeked;
      return { duration: player.duration, position: player.currentTime, seekMs: Math.round(performance.now() - started), readyState: player.readyState };
    }, { url, fromEnd: Number(fromEnd), timeout: Number(timeout) });
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
