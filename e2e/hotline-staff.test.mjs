// Browser test of the hotline staff's day (issue 13): a co-handling
// department adds its part, the dispatcher finds the extension request in
// the queue and grants it, and sees the sent-back order marked with its
// reason and the suggested department. The demo seeds all three.
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

test('a co-handler adds its part; the dispatcher decides an extension and sees a send-back', async () => {
  // The assisting department (市场监管) adds its part to the co-handled order.
  await as('handler_scj', async (page) => {
    await page.goto(base + '/hotline/handling');
    await Promise.all([page.waitForNavigation(), page.locator('tr', { hasText: '协办演示' }).getByRole('link').first().click()]);
    await page.getByLabel('协办意见').fill('复查时发现两个摊位已办理备案，其余一个仍在整改。');
    await page.getByLabel('答复内容（并入主办单位的答复）').fill('市场监管部门将于三个工作日内复查剩余摊位。');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '提交', exact: true }).click()]);
    await page.getByText('操作成功。').waitFor();
    assert.ok(await page.getByText('复查时发现两个摊位已办理备案').count() >= 1, 'the part is on the order');
  });

  await as('dispatcher', async (page) => {
    // The extension request waits in the dispatcher's queue, in Chinese.
    await page.goto(base + '/hotline/extensions');
    const row = page.locator('tr', { hasText: '延期演示' });
    await row.waitFor();
    assert.ok(await row.getByText('待审核').count() >= 1, 'the request is 待审核');
    await page.screenshot({ path: `${shots}/hotline-extensions.png`, fullPage: true });
    await Promise.all([page.waitForNavigation(), row.getByRole('link').first().click()]);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '批准延期' }).click()]);
    await page.getByText('操作成功。').waitFor();
    assert.ok(await page.getByText(/延期申请 5 个工作日（已批准）/).count() >= 1, 'the request shows 已批准');
    assert.ok(await page.getByText(/批准延期5个工作日，办理期限延至\d{4}-\d{2}-\d{2}。/).count() >= 1, 'the history says until when');
    await page.goto(base + '/hotline/extensions');
    assert.equal(await page.locator('tr', { hasText: '延期演示' }).count(), 0, 'the decided request left the queue');

    // The sent-back order is marked in the dispatch queue.
    await page.goto(base + '/hotline/dispatch');
    const back = page.locator('tr', { hasText: '退单演示' });
    await back.waitFor();
    assert.ok(await back.getByText('退单', { exact: true }).count() >= 1, 'the 退单 badge');
    assert.ok(await back.getByText(/临江区城市管理局退回：不属于本单位职责/).count() >= 1, 'the reason and the refusing department');
    assert.ok(await back.getByText(/建议派至临江区市场监督管理局/).count() >= 1, 'the suggested department');
    await page.screenshot({ path: `${shots}/hotline-sent-back.png`, fullPage: true });
  });
});
