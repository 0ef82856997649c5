// Drives the gateway's /admin page in Debian's headless Chromium through Playwright (playwright-core).
// Usage: node admin-ui-check.js <adminUrl> <secretId> <secretKey> <bucket> <taskId> <explainKey> <screenshot.png> <bucketWithoutRules> <releaseUrl>
// The task's origin holds its body part-way until <releaseUrl> is fetched, which the script does once it
// has seen the progress bar below 100 %.
// Takes a second screenshot at 700 px wide beside the first (<screenshot>-700.png).
// Prints one JSON document with what the page showed; exits non-zero on the first failure.
'use strict';
const { launchChromium } = require('./chromium');

const [adminUrl, secretId, secretKey, bucket, taskId, explainKey, screenshot, bucketWithoutRules, releaseUrl] = process.argv.slice(2);

(async () => {
  const browser = await launchChromium({ viewport: { width: 1400, height: 1000 } });
  const result = {};
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    // 401s are expected (the page probes its session, and the test tries a wrong key first).
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('status of 401')) consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(adminUrl);

    // A wrong key is refused on the page; the right one opens the app.
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#secret-id', secretId);
    await page.fill('#secret-key', 'not-the-key');
    await page.click('#login-button');
    await page.locator('#login-error').filter({ hasText: /Wrong/ }).waitFor();
    result.loginError = await page.textContent('#login-error');
    await page.fill('#secret-key', secretKey);
    await page.click('#login-button');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.getElementById('who').textContent.length > 0);
    result.who = await page.textContent('#who');

    await page.locator('#buckets tbody tr').first().waitFor();
    result.buckets = await page.locator('#buckets tbody tr td:first-child').allTextContents();
    // A bucket without rules: its table says so.
    await page.selectOption('#bucket-select', bucketWithoutRules);
    await page.locator('#rules tbody tr.empty').waitFor();
    result.emptyRules = await page.locator('#rules tbody tr').allInnerTexts();
    await page.selectOption('#bucket-select', bucket);
    await page.locator('#rules tbody tr:not(.empty)').first().waitFor();
    result.rules = await page.locator('#rules tbody tr').allInnerTexts();

    await page.fill('#explain-key', explainKey);
    await page.click('#explain-button');
    await page.locator('#explain-summary').filter({ hasText: /fires|No rule/ }).waitFor();
    result.explain = await page.textContent('#explain-summary');

    // The task's progress bar, watched until it reaches 100 %.
    const row = page.locator(`#tasks tr[data-id="${taskId}"]`);
    await row.waitFor();
    const seen = [];
    let released = false;
    const deadline = Date.now() + 90000;
    while (Date.now() < deadline) {
      const percent = Number(await row.getAttribute('data-percent'));
      if (seen[seen.length - 1] !== percent) seen.push(percent);
      if (percent === 100) break;
      if (!released) {
        const answer = await fetch(releaseUrl);
        if (answer.status !== 204) throw new Error(`releasing the task's body answered ${answer.status}`);
        released = true;
      }
      await page.waitForTimeout(200);
    }
    result.progressSeen = seen;
    result.progressValue = await row.locator('progress').evaluate((p) => p.value);
    result.taskState = await row.getAttribute('data-state');

    await page.locator('#decisions tbody tr').first().waitFor();
    result.decisions = await page.locator('#decisions tbody tr').allInnerTexts();
    result.figures = await page.locator('#figures .figure').allInnerTexts();
    await page.screenshot({ path: screenshot, fullPage: true });
    result.screenshot = screenshot;

    // The plots of the last hour: what each polyline carries, beside the JSON the page drew it from.
    await page.waitForFunction(() => document.querySelectorAll('#plot-requests polyline').length === 5);
    // The page redraws every second: after one more refresh the drawing is of the traffic the JSON has (none meanwhile).
    await page.waitForTimeout(1500);
    result.history = await page.evaluate(async () => (await fetch('/admin/api/history', { credentials: 'same-origin' })).json());
    result.plots = await page.evaluate(() => {
      const drawn = {};
      for (const svg of document.querySelectorAll('.plot svg')) {
        drawn[svg.id] = {};
        for (const line of svg.querySelectorAll('polyline')) {
          drawn[svg.id][line.dataset.series] = { values: line.dataset.values, points: line.getAttribute('points').split(' ').filter((p) => p).length };
        }
      }
      return drawn;
    });
    result.externalResources = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => r.name).filter((n) => !n.startsWith(location.origin)));

    // 700 px wide: nothing wider than the window, the header as wide as the page.
    await page.setViewportSize({ width: 700, height: 1000 });
    await page.waitForTimeout(300);
    result.narrow = await page.evaluate(() => ({
      window: window.innerWidth,
      page: document.documentElement.scrollWidth,
      header: Math.round(document.querySelector('header').getBoundingClientRect().width),
      widestSection: Math.max(...[...document.querySelectorAll('section')].filter((s) => s.offsetParent).map((s) => Math.round(s.getBoundingClientRect().right))),
    }));
    const narrowShot = screenshot.replace(/\.png$/, '-700.png');
    await page.screenshot({ path: narrowShot, fullPage: true });
    result.narrowScreenshot = narrowShot;

    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    result.loggedOut = true;
    result.consoleErrors = consoleErrors;
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
