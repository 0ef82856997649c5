// A browser form upload (POST Object) in Debian's headless Chromium through Playwright (playwright-core): a page
// with an HTML form whose hidden fields are a presigned POST, a file chosen in its file input, submitted as a user
// submits it; the gateway answers 303 to the form's success_action_redirect, which the browser follows.
// Usage: node form-upload-check.js <form.json: {"url", "fields"}> <file to choose>
// Prints one JSON document: the URL the browser ended at and the text it showed; exits non-zero on a failure.
'use strict';
const fs = require('fs');
const { launchChromium } = require('./chromium');

const [formJson, file] = process.argv.slice(2);
const form = JSON.parse(fs.readFileSync(formJson, 'utf8'));
const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

(async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const hidden = Object.entries(form.fields).map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`).join('\n');
    await page.setContent(`<!doctype html><html><body>
      <form id="upload" action="${escape(form.url)}" method="post" enctype="multipart/form-data">
      ${hidden}
      <input type="file" name="file" id="file">
      <input type="submit" id="send" value="Upload">
      </form></body></html>`);
    await page.setInputFiles('#file', file);
    const redirect = form.fields.success_action_redirect;
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(redirect), { timeout: 60000 }),
      page.click('#send'),
    ]);
    await page.waitForLoadState('load');
    const text = await page.evaluate(() => document.body ? document.body.innerText : '');
    console.log(JSON.stringify({ url: page.url(), text }));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
