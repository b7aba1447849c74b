// Browser test of the hotline centre's rules (issue 12): the dispatcher
// decides a jurisdiction dispute (two departments refused the order), a
// handler calls a caller back through a privacy number without seeing the
// number, and the operator records a failed return-visit call. The demo
// seeds the dispute and the visit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.YS_BASE_URL;
const shots = process.env.YS_SHOTS || '/tmp';
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

async function as(username, fn, viewport) {
  const context = await browser.newContext({ locale: 'zh-CN', viewport });
  const page = await context.newPage();
  await page.goto(base + '/signin');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill('Yunlan@2026');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登录' }).click()]);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

test('the dispatcher decides a jurisdiction dispute; a handler calls back through a privacy number; the operator records a failed visit call', async () => {
  await as('dispatcher', async (page) => {
    await page.goto(base + '/hotline/disputes');
    const row = page.locator('tr', { hasText: '管辖争议演示' });
    await row.waitFor();
    await Promise.all([page.waitForNavigation(), row.getByRole('link').first().click()]);
    await page.locator('#dispute').waitFor();
    await page.locator('#jd').selectOption({ label: '临江区城市管理局' });
    await page.locator('#jr').fill('流动摊贩占道属城市管理部门职责，无证经营线索另行移送市场监管。');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '裁定承办部门' }).click()]);
    await page.getByText('操作成功。').waitFor();
    await page.locator('#dispute').getByText('临江区城市管理局').first().waitFor();
    await page.screenshot({ path: `${shots}/hotline-dispute.png`, fullPage: true });
  });

  await as('handler_scj', async (page) => {
    await page.goto(base + '/hotline/handling');
    await Promise.all([page.waitForNavigation(), page.locator('tr', { hasText: '协办演示' }).getByRole('link').first().click()]);
    const before = await page.content();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '隐私号回拨来电人' }).click()]);
    const relay = page.locator('#relay-number');
    await relay.waitFor();
    assert.match(await relay.innerText(), /95013-\d{4}/);
    // The caller's number is masked on the handler's page before and after.
    for (const html of [before, await page.content()]) {
      assert.equal(/1[3-9]\d{9}/.test(html.replace(/<[^>]+>/g, ' ')), false, 'a full mobile number is on the handler\'s page');
    }
  });

  await as('operator', async (page) => {
    await page.goto(base + '/hotline/visits');
    const row = page.locator('tr', { hasText: '回访演示' });
    await row.waitFor();
    await Promise.all([page.waitForNavigation(), row.getByRole('link').first().click()]);
    await page.locator('#vat').fill('第三次拨打，无人接听');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '记录一次未接通' }).click()]);
    await page.getByText('无法联系').first().waitFor();
  }, { width: 1280, height: 900 });
});
