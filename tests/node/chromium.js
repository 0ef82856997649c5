// Debian's headless Chromium through playwright-core (which never downloads a browser of its own), as every browser check
// launches it: a profile of its own in a temporary directory, removed when the browser closes.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

/** Launches Chromium with `options` (Playwright's persistent-context options, e.g. a viewport); close() also removes the profile. */
async function launchChromium(options = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'og-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    ...options,
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const close = browser.close.bind(browser);
  browser.close = async () => {
    try {
      await close();
    } finally {
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  return browser;
}

module.exports = { launchChromium };
