// Browser test of the 12345 hotline (issue 3): an operator takes a call, the
// dispatcher routes it, the department signs for it and answers, the
// operator closes it and visits the citizen.
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

async function as(username, fn) {
  const context = await browser.newContext({ locale: 'zh-CN' });
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

// The resolution cell of a department on this month's public ranking.
// resolutionOf reads the department's resolution rate from the public
// ranking. Anonymous visitors get a page up to a minute old (the page
// cache), so the test reads it signed in, as the figures are now.
async function resolutionOf(department) {
  return as('supervisor', async (page) => {
    // This month, in China time: the page shows the last complete month by default.
    const month = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 7);
    await page.goto(base + '/hotline/ranking?month=' + month);
    const row = page.locator('tbody tr', { has: page.locator('th', { hasText: department }) });
    const text = (await row.count()) ? await row.locator('td').nth(4).textContent() : '';
    return text.trim();
  });
}

test('a call goes from intake to return visit, and the month\'s ranking counts it', async () => {
  const phone = '13912340000';
  const before = await resolutionOf('临江区城市管理局');
  // The operator takes the call.
  const orderPath = await as('operator', async (page) => {
    assert.equal(new URL(page.url()).pathname, '/hotline/intake');
    await page.getByLabel('诉求类型').selectOption({ label: '投诉' });
    const category = page.locator('#category_code option', { hasText: '占道经营' }).first();
    await page.getByLabel('诉求分类 *').selectOption(await category.getAttribute('value'));
    await page.getByLabel('诉求内容 *').fill('临江区滨江路夜市摊贩占用人行道经营，行人只能走机动车道，存在安全隐患，请尽快处理。');
    // While the operator types, the knowledge base offers answers.
    await page.locator('#kb-suggest a').first().waitFor({ timeout: 10000 });
    await page.getByLabel('来电人姓名').fill('王女士');
    await page.getByLabel('联系电话 *').fill(phone);
    await page.getByLabel('行政区划 *').selectOption('990102');
    await page.getByLabel('事发地址 *').fill('临江区滨江路88号夜市');
    await Promise.all([page.waitForURL(/\/hotline\/orders\/\d+/), page.getByRole('button', { name: '提交工单' }).click()]);
    // The operator who took the call sees the phone number in full.
    assert.ok(await page.getByText(phone).count() >= 1, 'the operator sees the number in full');
    return new URL(page.url()).pathname;
  });

  // The dispatcher routes it to the district's urban management bureau.
  await as('dispatcher', async (page) => {
    await page.goto(base + orderPath);
    assert.equal(await page.getByText(phone).count(), 0, 'the dispatcher sees the number masked');
    await page.getByLabel('主办部门').selectOption({ label: '临江区城市管理局' });
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '派单', exact: true }).click()]);
    await page.getByText('操作成功。').waitFor();
  });

  // The department signs for it and answers.
  await as('handler_cgj', async (page) => {
    await page.goto(base + orderPath);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '签收', exact: true }).click()]);
    await page.getByLabel('答复').fill('已联合街道清理占道摊位，设置临时疏导点，今后每晚巡查。');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '答复', exact: true }).click()]);
    await page.getByText('操作成功。').waitFor();
  });

  // The operator closes it and visits the citizen: solved, satisfied.
  await as('operator', async (page) => {
    await page.goto(base + orderPath);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '办结', exact: true }).click()]);
    await page.getByText('操作成功。').waitFor();
    const visit = page.locator('form', { has: page.getByRole('button', { name: '回访', exact: true }) });
    await visit.getByLabel('是', { exact: true }).check();
    await visit.getByLabel('满意', { exact: true }).check();
    await Promise.all([page.waitForNavigation(), visit.getByRole('button', { name: '回访', exact: true }).click()]);
    await page.getByText('操作成功。').waitFor();
    await page.screenshot({ path: `${shots}/hotline-order.png`, fullPage: true });
  });

  // The public monthly ranking counts the visited order.
  const after = await resolutionOf('临江区城市管理局');
  assert.notEqual(after, '', 'the department is ranked this month');
  assert.notEqual(after, before, `the ranking counts the new visit (before ${before}, after ${after})`);
});
