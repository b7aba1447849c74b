// Shared by the phone-width browser tests (phone-*.test.mjs): every page a
// citizen, an enterprise or the public uses is opened at 390×844 (the key
// ones also at 360 and 414 px) in headless Debian Chromium, signed in as the
// demo citizen or enterprise where the page needs it. A page fails on
// horizontal scrolling, on any element reaching past the viewport (a table
// that did not become cards), on a primary control smaller than a 44 px
// touch target, and on console errors. The tests are split into files so
// that each gets its own time budget and they run side by side.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const base = process.env.YS_BASE_URL;
const shots = process.env.YS_SHOTS || '/tmp';
const password = 'Yunlan@2026'; // the demo's (internal/demo)
const phone = { width: 390, height: 844 };
let browser;

before(async () => {
  assert.ok(base, 'YS_BASE_URL must be set (e2e/run.sh sets it)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

// open returns a page of a fresh phone-sized context, signed in as
// username unless it is empty, collecting console errors in page.errors.
export async function open(username, viewport = phone) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  page.on('pageerror', (e) => page.errors.push(String(e)));
  if (username) {
    await page.goto(base + '/signin');
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(password);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登录' }).click()]);
  }
  return { context, page };
}

// The controls a thumb must hit: buttons, fields, menus and the links that
// act as buttons (navigation, pager, tiles). Links inside running text are
// exempt, as WCAG 2.5.8 exempts them.
const controls = ['button', '.button', 'select', 'textarea', 'summary',
  'input:not([type=hidden]):not([type=checkbox]):not([type=radio])',
  '.site-nav a', '.lang-switch a', '.pager a', '.tiles a', '.signin-link', '.public-links a'].join(', ');

// problems measures the page as it is shown and lists what is wrong.
async function problems(page) {
  return page.evaluate((controls) => {
    const out = [];
    const de = document.documentElement;
    const vw = de.clientWidth;
    if (de.scrollWidth > vw) out.push(`page scrolls sideways: scrollWidth ${de.scrollWidth} > ${vw}`);
    const visible = (el) => {
      const s = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 1 && r.height > 1;
    };
    const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
      ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
    const wide = [];
    for (const el of document.body.querySelectorAll('*')) {
      // A map's tiles reach past it, clipped by the map itself.
      if (!visible(el) || el.closest('.leaflet-pane')) continue;
      const r = el.getBoundingClientRect();
      if (r.right > vw + 0.5 || r.left < -0.5) wide.push(`${name(el)} spans ${Math.round(r.left)}–${Math.round(r.right)} px`);
    }
    // The outermost offender is enough to find the fault.
    out.push(...wide.slice(0, 3).map((w) => 'wider than the viewport: ' + w));
    for (const el of document.querySelectorAll(controls)) {
      if (!visible(el) || el.closest('.visually-hidden')) continue;
      const r = el.getBoundingClientRect();
      if (r.height < 43.5 || r.width < 43.5) out.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)} px: ${name(el)}`);
    }
    for (const el of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
      if (!visible(el)) continue;
      const label = el.closest('label');
      const r = (label || el).getBoundingClientRect();
      const min = label ? 43.5 : 23.5; // a bare box beside a label above it: the WCAG minimum
      if (r.height < min) out.push(`tap target ${Math.round(r.width)}×${Math.round(r.height)} px: ${name(label || el)}`);
    }
    return out;
  }, controls);
}

// check opens path (or measures the page as it is, when path is empty)
// and asserts that the page fits the phone.
export async function check(page, path, shot) {
  if (path) {
    const resp = await page.goto(base + path);
    assert.ok(resp.status() < 400, `${path}: status ${resp.status()}`);
  }
  await page.waitForLoadState('load');
  const width = page.viewportSize().width;
  const found = await problems(page);
  found.push(...page.errors.map((e) => 'console error: ' + e));
  page.errors.length = 0;
  // A screenshot of every page when asked for, of a failing one always.
  if (found.length || process.env.YS_PHONE_SHOTS) {
    await page.screenshot({ path: `${shots}/phone-${shot}-${width}.png`, fullPage: true });
  }
  assert.deepEqual(found, [], `${path || page.url()} at ${width} px`);
}

// hrefs lists the links on the page whose paths match re.
export async function hrefs(page, re) {
  const all = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return all.filter((h) => re.test(h));
}

